# The default stack: no lip reading. Given the variables that were required before lip reading
# became optional (an existing VPC), it still applies; it creates no GPU, network or stopper,
# and the pipeline, the API and the web page are complete; the state machine is the one
# asl-validator accepted (facts.json). lipreading_own_vpc holds every environment to its schema.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  facts              = jsondecode(file("../dist/terraform-facts/facts.json"))
  vpc_id             = "vpc-0123456789abcdef0"
  avhubert_subnet_id = "subnet-0123456789abcdef0"
  lambda_subnet_ids  = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
}

run "applies_without_a_gpu" {
  command = apply

  assert {
    condition = (
      length(aws_autoscaling_group.avhubert) + length(aws_launch_template.avhubert) + length(aws_iam_instance_profile.avhubert)
      + length(aws_iam_role.avhubert) + length(aws_s3_object.avhubert_bundle) + length(aws_kms_grant.autoscaling_ebs)
      + length(aws_cloudwatch_event_rule.stop_idle_gpu) + length(aws_lambda_permission.stop_idle_gpu) == 0
    )
    error_message = "Without lip reading the stack must create no GPU group, launch template, instance role, bundle, key grant or stopper schedule."
  }

  assert {
    condition = (
      length(aws_vpc.this) + length(aws_subnet.private) + length(aws_vpc_endpoint.gateway) + length(aws_vpc_endpoint.interface)
      + length(aws_security_group.avhubert) + length(aws_security_group.lipreading_function) + length(aws_vpc_security_group_egress_rule.https) == 0
    )
    error_message = "Without lip reading the stack needs no network of its own, and creates none."
  }

  assert {
    condition     = sort(keys(aws_lambda_function.this)) == sort([for name in keys(var.facts.functions) : name if name != "stop-idle-gpu"])
    error_message = "Every function but the GPU stopper is deployed: ${jsonencode(sort(keys(aws_lambda_function.this)))}."
  }

  assert {
    condition = (
      aws_lambda_function.this["invoke-lipreading"].environment[0].variables.LIPREADING_ENABLED == "false"
      && length(aws_lambda_function.this["invoke-lipreading"].vpc_config) == 0
    )
    error_message = "invoke-lipreading must skip lip reading (LIPREADING_ENABLED=false) and stay out of any VPC."
  }

  assert {
    condition     = var.facts.stateMachine.aslValid
    error_message = "asl-validator rejects the state machine: ${join("; ", var.facts.stateMachine.aslProblems)}"
  }

  assert {
    condition     = jsonencode(jsondecode(aws_sfn_state_machine.pipeline.definition)) == jsonencode(var.facts.stateMachine.definition)
    error_message = "Terraform renders the state machine differently from scripts/render-statemachine.ts, whose rendering asl-validator checked."
  }

  assert {
    condition = (
      length(aws_apigatewayv2_route.api) == 10 && aws_apigatewayv2_route.telegram_webhook.route_key == "POST /telegram/webhook"
      && aws_apigatewayv2_stage.default.name == "$default" && aws_lambda_event_source_mapping.upload_events.batch_size == 10
    )
    error_message = "The API routes, its stage and the upload queue trigger must all be there."
  }

  assert {
    condition     = aws_s3_object.web_index.key == "index.html" && strcontains(aws_s3_object.web_index.content, "Content-Security-Policy") && aws_s3_object.web_config.key == "config.json" && aws_cloudfront_distribution.web.default_root_object == "index.html"
    error_message = "The web page (index.html from dist/web, config.json) must be uploaded and served."
  }

  # M1: with CloudFront's default certificate the TLS policy stays TLSv1 whatever the
  # configuration says; asking for another makes every plan show a change. (Unset, the
  # provider's default is TLSv1; the mock leaves it null.)
  assert {
    condition     = coalesce(aws_cloudfront_distribution.web.viewer_certificate[0].minimum_protocol_version, "TLSv1") == "TLSv1"
    error_message = "minimum_protocol_version must be left at CloudFront's TLSv1 with the default certificate."
  }

  assert {
    condition     = output.lipreading_enabled == false && output.avhubert_autoscaling_group_name == null && output.cost_per_gpu_hour_usd == null
    error_message = "The outputs must say that this stack has no lip reading."
  }

  assert {
    condition     = output.cost_idle_usd_per_month.gpu_instance == 0 && output.cost_idle_usd_per_month.vpc_interface_endpoints == 0
    error_message = "Without lip reading nothing of the GPU or its network costs anything while idle."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.gpu_running_hours) == 0 && !contains(keys(aws_cloudwatch_metric_alarm.function_errors), "stop-idle-gpu")
    error_message = "Without lip reading nothing may alarm on a GPU group or a stopper that do not exist."
  }
}

# D3: a plan without `make build` stops with an error that says to run it.
run "refuses_a_missing_build" {
  command = plan

  variables {
    functions_dist_dir = "./tests"
    web_dist_dir       = "./tests"
  }

  expect_failures = [aws_s3_object.function_zip, aws_s3_object.web_index]
}
