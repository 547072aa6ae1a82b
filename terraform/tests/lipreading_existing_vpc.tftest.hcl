# Lip reading in a VPC passed in (vpc_id and its private subnets): the module adds no VPC, puts
# invoke-lipreading and the GPU group in the given subnets, and warns on plan when the VPC can
# reach neither a NAT gateway nor VPC endpoints. This account's default EBS key is a customer
# key (M8).

mock_provider "aws" {
  source = "./tests/mocks"

  override_data {
    target = data.aws_route_table.existing
    values = { id = "rtb-0123456789abcdef0" }
  }
}

override_data {
  target = data.aws_ebs_default_kms_key.current
  values = { key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" }
}

variables {
  enable_lipreading  = true
  vpc_id             = "vpc-0123456789abcdef0"
  avhubert_subnet_id = "subnet-0aaaaaaaaaaaaaaaa"
  lambda_subnet_ids  = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
}

run "applies_into_a_vpc_with_a_nat_gateway" {
  command = apply

  override_data {
    target = data.aws_nat_gateways.existing
    values = { ids = ["nat-0123456789abcdef0"] }
  }

  assert {
    condition     = length(aws_vpc.this) == 0 && length(aws_vpc_endpoint.gateway) == 0 && length(aws_vpc_endpoint.interface) == 0
    error_message = "A VPC passed in gets no second VPC and, by default, no endpoints."
  }

  assert {
    condition = (
      aws_security_group.avhubert[0].vpc_id == "vpc-0123456789abcdef0"
      && aws_autoscaling_group.avhubert[0].vpc_zone_identifier == toset(["subnet-0aaaaaaaaaaaaaaaa"])
      && sort(aws_lambda_function.this["invoke-lipreading"].vpc_config[0].subnet_ids) == tolist(["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"])
    )
    error_message = "The GPU goes to avhubert_subnet_id and invoke-lipreading to lambda_subnet_ids."
  }

  assert {
    condition = (
      aws_vpc_security_group_egress_rule.https["lipreading_function-apis"].cidr_ipv4 == "0.0.0.0/0"
      && aws_vpc_security_group_egress_rule.https["avhubert-apis"].cidr_ipv4 == "0.0.0.0/0"
      && aws_vpc_security_group_egress_rule.https["avhubert-s3"].prefix_list_id == "pl-63a5400a"
      && alltrue([for rule in aws_vpc_security_group_egress_rule.https : rule.from_port == 443 && rule.to_port == 443])
    )
    error_message = "Through a NAT both ends reach the AWS APIs (SSM for the secret) on 443 only, the instance S3 by its prefix list."
  }

  # M8: under a customer-managed default EBS key, the Auto Scaling role gets a grant to launch.
  assert {
    condition = (
      length(aws_kms_grant.autoscaling_ebs) == 1
      && aws_kms_grant.autoscaling_ebs[0].key_id == "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
      && aws_kms_grant.autoscaling_ebs[0].grantee_principal == "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
      && contains(aws_kms_grant.autoscaling_ebs[0].operations, "CreateGrant") && contains(aws_kms_grant.autoscaling_ebs[0].operations, "GenerateDataKeyWithoutPlaintext")
    )
    error_message = "The Auto Scaling service-linked role must get a grant on a customer-managed default EBS key."
  }
}

# M10: neither NAT nor endpoints (the mock finds no NAT gateway): the plan says what is missing.
run "warns_about_a_vpc_without_a_way_out" {
  command = plan

  expect_failures = [check.existing_vpc_reaches_aws]
}

run "adds_endpoints_to_a_vpc_passed_in" {
  command = plan

  variables {
    create_vpc_endpoints = true
  }

  assert {
    condition = (
      sort(keys(aws_vpc_endpoint.interface)) == tolist(["autoscaling", "ec2", "ssm"])
      && aws_vpc_endpoint.interface["ec2"].subnet_ids == toset(["subnet-0123456789abcdef0"])
      && aws_vpc_endpoint.gateway["s3"].route_table_ids == toset(["rtb-0123456789abcdef0"])
      && aws_vpc_endpoint.gateway["s3"].vpc_id == "vpc-0123456789abcdef0"
    )
    error_message = "create_vpc_endpoints must add the endpoints to the VPC passed in, on its subnets' route tables."
  }
}
