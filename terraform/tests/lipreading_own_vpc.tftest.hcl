# Lip reading in a VPC the module creates: private subnets in zones that offer the GPU, no way
# out but VPC endpoints, a GPU group of 0..1 that installs itself from the bundle, and the idle
# stopper. Needs the bundle from `make avhubert-bundle`.

mock_provider "aws" {
  source = "./tests/mocks"

  override_data {
    target = data.aws_prefix_list.dynamodb
    values = { id = "pl-02cd2c6b" }
  }

  override_data {
    target = data.aws_ebs_default_kms_key.current
    values = { key_arn = "arn:aws:kms:us-east-1:123456789012:alias/aws/ebs" }
  }
}

variables {
  facts             = jsondecode(file("../dist/terraform-facts/facts.json"))
  enable_lipreading = true
  name_prefix       = "gorggle"
}

run "applies_with_a_gpu_group_in_its_own_vpc" {
  command = apply

  assert {
    condition = (
      length(aws_vpc.this) == 1 && aws_vpc.this[0].enable_dns_hostnames
      && [for subnet in aws_subnet.private : subnet.availability_zone] == ["us-east-1a", "us-east-1b"]
      && alltrue([for subnet in aws_subnet.private : !subnet.map_public_ip_on_launch])
    )
    error_message = "The VPC must have private subnets in the first two zones that offer the GPU type."
  }

  # M10: what invoke-lipreading and the instance reach, and nothing else.
  assert {
    condition = (
      sort(keys(aws_vpc_endpoint.gateway)) == tolist(["dynamodb", "s3"]) && sort(keys(aws_vpc_endpoint.interface)) == tolist(["autoscaling", "ec2", "ssm"])
      && alltrue([for endpoint in aws_vpc_endpoint.interface : endpoint.private_dns_enabled])
      && aws_vpc_endpoint.gateway["s3"].service_name == "com.amazonaws.us-east-1.s3"
    )
    error_message = "Gateway endpoints for S3 and DynamoDB and interface endpoints for EC2, Auto Scaling and SSM (the shared secret; no Session Manager by default) must exist."
  }

  # R1: HTTPS only, to S3 and DynamoDB by prefix list and to the endpoints; no internet, no port 80.
  assert {
    condition = alltrue([
      for rule in aws_vpc_security_group_egress_rule.https :
      rule.from_port == 443 && rule.to_port == 443 && rule.cidr_ipv4 == null
    ])
    error_message = "Egress must be HTTPS to prefix lists or the endpoints' group only: ${jsonencode({ for key, rule in aws_vpc_security_group_egress_rule.https : key => [rule.from_port, rule.cidr_ipv4] })}"
  }

  assert {
    condition = (
      sort([for key, rule in aws_vpc_security_group_egress_rule.https : key if startswith(key, "avhubert-")]) == tolist(["avhubert-endpoints", "avhubert-s3"])
      && aws_vpc_security_group_egress_rule.https["avhubert-s3"].prefix_list_id == "pl-63a5400a"
      && aws_vpc_security_group_egress_rule.https["avhubert-endpoints"].referenced_security_group_id == aws_security_group.vpc_endpoints[0].id
    )
    error_message = "The GPU instance needs S3 (bundle, model, videos, results) and the SSM endpoint (its secret), and may reach nothing else."
  }

  assert {
    condition = (
      aws_autoscaling_group.avhubert[0].min_size == 0 && aws_autoscaling_group.avhubert[0].max_size == 1
      && aws_autoscaling_group.avhubert[0].desired_capacity == 0 && aws_autoscaling_group.avhubert[0].force_delete
      && aws_autoscaling_group.avhubert[0].wait_for_capacity_timeout == "0"
      && sort(aws_autoscaling_group.avhubert[0].vpc_zone_identifier) == sort(aws_subnet.private[*].id)
    )
    error_message = "The GPU group must start empty (no quota or capacity needed to apply), hold at most one instance, and take it along on destroy."
  }

  assert {
    condition = (
      aws_launch_template.avhubert[0].instance_initiated_shutdown_behavior == "terminate"
      && aws_launch_template.avhubert[0].metadata_options[0].http_tokens == "required"
      && aws_launch_template.avhubert[0].block_device_mappings[0].ebs[0].encrypted == "true"
    )
    error_message = "The launch template must require IMDSv2, encrypt the volume and end the instance on power-off."
  }

  # The first boot installs from the bundle Terraform uploaded, checked by its SHA-256.
  assert {
    condition = alltrue([
      for expected in [aws_s3_object.avhubert_bundle[0].key, aws_s3_object.avhubert_bundle[0].source_hash, "install-from-bundle.sh", "s3://${aws_s3_bucket.this["artifacts"].id}/models/avhubert/"] :
      strcontains(base64decode(aws_launch_template.avhubert[0].user_data), expected)
    ])
    error_message = "The user data must fetch the uploaded bundle, check its SHA-256 and run install-from-bundle.sh with the model location."
  }

  assert {
    condition = (
      startswith(aws_s3_object.avhubert_bundle[0].key, "avhubert/gorggle-avhubert-")
      && aws_s3_object.avhubert_bundle[0].source_hash == filesha256("../dist/avhubert/gorggle-avhubert.tar.gz")
    )
    error_message = "The bundle `make avhubert-bundle` wrote must be uploaded under a key that changes with its content."
  }

  assert {
    condition = (
      aws_lambda_function.this["invoke-lipreading"].environment[0].variables.LIPREADING_ENABLED == "true"
      && aws_lambda_function.this["invoke-lipreading"].environment[0].variables.AVHUBERT_ASG_NAME == aws_autoscaling_group.avhubert[0].name
      && aws_lambda_function.this["invoke-lipreading"].environment[0].variables.AVHUBERT_MODEL_MANIFEST == "s3://${aws_s3_bucket.this["artifacts"].id}/models/avhubert/manifest.json"
      && sort(aws_lambda_function.this["invoke-lipreading"].vpc_config[0].subnet_ids) == sort(aws_subnet.private[*].id)
    )
    error_message = "invoke-lipreading must run in the private subnets and know the group and the model manifest."
  }

  # R2: the stopper is a scheduled function, outside the instance.
  assert {
    condition = (
      contains(keys(aws_lambda_function.this), "stop-idle-gpu")
      && aws_cloudwatch_event_rule.stop_idle_gpu[0].schedule_expression == "rate(5 minutes)"
      && aws_lambda_function.this["stop-idle-gpu"].environment[0].variables.AVHUBERT_ASG_NAME == aws_autoscaling_group.avhubert[0].name
      && aws_lambda_function.this["stop-idle-gpu"].environment[0].variables.IDLE_MINUTES == "15"
    )
    error_message = "The idle stopper must be deployed, scheduled every 5 minutes, and point at the group."
  }

  # Every function is deployed here: each environment against its configSchema (facts.json).
  assert {
    condition = length(flatten([
      for name, fn in aws_lambda_function.this : [
        for key in var.facts.functions[name].required : key if !contains(keys(fn.environment[0].variables), key)
      ]
    ])) == 0
    error_message = "Required configSchema keys without a value: ${jsonencode({ for name, fn in aws_lambda_function.this : name => setsubtract(var.facts.functions[name].required, keys(fn.environment[0].variables)) })}"
  }

  assert {
    condition = length(flatten([
      for name, fn in aws_lambda_function.this : [
        for key in keys(fn.environment[0].variables) : key if !contains(concat(var.facts.functions[name].keys, var.facts.commonKeys), key)
      ]
    ])) == 0
    error_message = "Environment keys no configSchema reads: ${jsonencode({ for name, fn in aws_lambda_function.this : name => setsubtract(keys(fn.environment[0].variables), concat(var.facts.functions[name].keys, var.facts.commonKeys)) })}"
  }

  assert {
    condition     = jsonencode(jsondecode(aws_sfn_state_machine.pipeline.definition)) == jsonencode(var.facts.stateMachine.definition)
    error_message = "Lip reading on or off, the state machine is the one asl-validator checked."
  }

  # M8: the account's default EBS key here is AWS-managed: no grant needed.
  assert {
    condition     = length(aws_kms_grant.autoscaling_ebs) == 0
    error_message = "No key grant is needed with alias/aws/ebs."
  }

  assert {
    condition = (
      output.cost_idle_usd_per_month.gpu_instance == 0 && output.cost_idle_usd_per_month.gpu_root_volume == 0
      && output.cost_idle_usd_per_month.vpc_interface_endpoints == 3 * 0.01 * 730
      && output.cost_per_gpu_hour_usd.instance == 0.526 && output.cost_per_gpu_hour_usd.total > 0.526
    )
    error_message = "Idle, the GPU costs nothing (only the three interface endpoints do); a GPU hour costs the g4dn.xlarge price and its volume: ${jsonencode([output.cost_idle_usd_per_month, output.cost_per_gpu_hour_usd])}"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.gpu_running_hours[0].namespace == "AWS/AutoScaling" && aws_cloudwatch_metric_alarm.gpu_running_hours[0].dimensions.AutoScalingGroupName == aws_autoscaling_group.avhubert[0].name && contains(aws_autoscaling_group.avhubert[0].enabled_metrics, "GroupInServiceInstances")
    error_message = "GPU running hours must be counted on the group (each launch is a new instance), from the metrics it publishes."
  }
}

# R10: a second stack in the same account and region finds its own GPU, never the first's.
run "a_second_stack_has_its_own_names" {
  command = plan

  variables {
    name_prefix = "gorggle-b"
  }

  assert {
    condition = (
      aws_autoscaling_group.avhubert[0].name == "gorggle-b-avhubert"
      && aws_lambda_function.this["invoke-lipreading"].environment[0].variables.AVHUBERT_ASG_NAME == "gorggle-b-avhubert"
      && aws_launch_template.avhubert[0].tag_specifications[0].tags["gorggle:stack"] == "gorggle-b"
      && aws_iam_instance_profile.avhubert[0].name == "gorggle-b-avhubert" && aws_security_group.avhubert[0].name == "gorggle-b-avhubert"
      && aws_cloudwatch_event_rule.stop_idle_gpu[0].name == "gorggle-b-stop-idle-gpu" && aws_vpc.this[0].tags.Name == "gorggle-b-lipreading"
    )
    error_message = "Every GPU name and tag must derive from name_prefix."
  }
}

run "session_manager_adds_its_endpoints" {
  command = plan

  variables {
    avhubert_session_manager = true
  }

  assert {
    condition = (
      sort(keys(aws_vpc_endpoint.interface)) == tolist(["autoscaling", "ec2", "ec2messages", "ssm", "ssmmessages"])
      && length(aws_iam_role_policy_attachment.avhubert_ssm) == 1
    )
    error_message = "Session Manager needs the ssmmessages and ec2messages endpoints besides SSM's, and the managed policy."
  }
}

# D3: lip reading without the bundle stops with an error that says to build it.
run "refuses_a_missing_bundle" {
  command = plan

  variables {
    avhubert_bundle_path = "./tests/no-such-bundle.tar.gz"
  }

  expect_failures = [aws_s3_object.avhubert_bundle]
}
