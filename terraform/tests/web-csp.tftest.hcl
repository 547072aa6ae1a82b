# The page may call its own API only, not any API Gateway in the region: index.html carries
# a Content-Security-Policy whose connect-src names the one API (browsers enforce it beside
# the CloudFront header policy, whose wildcard cannot name the API without a cycle).

mock_provider "aws" {
  override_during = plan

  mock_resource "aws_apigatewayv2_api" {
    defaults = {
      api_endpoint  = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
      execution_arn = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5"
    }
  }
  mock_resource "aws_s3_bucket" {
    defaults = {
      id  = "gorggle-bucket-123456789012-us-east-1"
      arn = "arn:aws:s3:::gorggle-bucket-123456789012-us-east-1"
    }
  }
  mock_resource "aws_cloudfront_distribution" {
    defaults = { domain_name = "d111111abcdef8.cloudfront.net" }
  }
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

run "page_connects_to_its_own_api_only" {
  command = plan

  assert {
    condition     = strcontains(aws_s3_object.web_index.content, "connect-src 'self' https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com ")
    error_message = "index.html must carry a Content-Security-Policy whose connect-src names the API itself."
  }

  assert {
    condition     = !strcontains(aws_s3_object.web_index.content, "*.execute-api")
    error_message = "index.html's policy must not admit every API Gateway of the region."
  }

  assert {
    condition     = strcontains(aws_s3_object.web_index.content, "<meta charset=\"utf-8\" />\n    <meta http-equiv=\"Content-Security-Policy\"")
    error_message = "The policy must come first in <head>, before any script or style loads."
  }
}
