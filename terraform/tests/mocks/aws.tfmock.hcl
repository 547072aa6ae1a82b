# What the mock provider answers where Terraform or the provider needs a well-formed value:
# ARNs the provider validates, JSON policies, and an account. Everything else is made up.
# test/terraform/facts.ts renders the state machine with the same function ARN. The first
# block is all a stack without lip reading needs; the last, what lip reading reads.

mock_data "aws_iam_policy_document" {
  defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
}

mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012" }
}

mock_data "aws_partition" {
  defaults = { partition = "aws" }
}

mock_resource "aws_lambda_function" {
  defaults = {
    arn        = "arn:aws:lambda:us-east-1:123456789012:function:mock"
    invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:mock/invocations"
  }
}

mock_resource "aws_iam_role" {
  defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
}

mock_resource "aws_iam_instance_profile" {
  defaults = { arn = "arn:aws:iam::123456789012:instance-profile/mock" }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:mock" }
}

mock_resource "aws_cloudwatch_event_rule" {
  defaults = { arn = "arn:aws:events:us-east-1:123456789012:rule/mock" }
}

mock_resource "aws_apigatewayv2_api" {
  defaults = { execution_arn = "arn:aws:execute-api:us-east-1:123456789012:mockapi" }
}

# Dead-letter queues of EventBridge targets (observability.tf, bot.tf).
mock_resource "aws_sqs_queue" {
  defaults = { arn = "arn:aws:sqs:us-east-1:123456789012:mock" }
}

# The admins group (api.tf) names the pool by its id.
mock_resource "aws_cognito_user_pool" {
  defaults = { id = "us-east-1_Mock12345" }
}

mock_resource "aws_launch_template" {
  defaults = { id = "lt-0123456789abcdef0" }
}

# --- Lip reading's data sources --------------------------------------------------------------

mock_data "aws_ec2_instance_type_offerings" {
  defaults = { locations = ["us-east-1c", "us-east-1a", "us-east-1b"] }
}

mock_data "aws_prefix_list" {
  defaults = { id = "pl-63a5400a" }
}

mock_data "aws_ssm_parameter" {
  defaults = { insecure_value = "ami-0123456789abcdef0" }
}

mock_data "aws_ami" {
  defaults = { root_device_name = "/dev/sda1" }
}
