# No secret reaches Terraform state or a plan: every SecureString this module creates is sent
# write-only (value_wo), and the real values are set outside Terraform.
#
# The mock stands in for the AWS provider's own rule: a parameter written with value_wo is
# never read back (has_value_wo), so its `value` stays null. A parameter configured with
# `value` (even a placeholder under ignore_changes) keeps it in the plan, and fails here.

mock_provider "aws" {
  override_during = plan

  mock_resource "aws_ssm_parameter" {
    defaults = {
      value = null
    }
  }

  # Values the provider validates, or other resources parse, during plan.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

variables {
  vpc_id             = "vpc-0123456789abcdef0"
  avhubert_subnet_id = "subnet-0123456789abcdef0"
  lambda_subnet_ids  = ["subnet-0123456789abcdef0"]
}

run "secret_parameters_have_no_readable_value" {
  command = plan

  assert {
    condition     = alltrue([for parameter in aws_ssm_parameter.telegram : parameter.value == null])
    error_message = "A Telegram parameter has a readable value in the plan: send it with value_wo instead of value."
  }

  assert {
    condition     = alltrue([for parameter in aws_ssm_parameter.telegram : parameter.value_wo_version >= 1])
    error_message = "Each Telegram parameter must be written once, write-only (value_wo_version)."
  }

  assert {
    condition     = aws_ssm_parameter.avhubert_secret.value == null && aws_ssm_parameter.avhubert_secret.value_wo_version >= 1
    error_message = "The lip-reading server's shared secret has a readable value in the plan: send it with value_wo."
  }

  assert {
    condition     = alltrue([for parameter in concat(values(aws_ssm_parameter.telegram), [aws_ssm_parameter.avhubert_secret]) : parameter.type == "SecureString"])
    error_message = "Every secret parameter must be a SecureString."
  }
}
