# The results API: one HTTP API (payload 2.0) in front of the `api` function, every route
# behind a Cognito JWT authorizer. Users are created by an administrator (no self sign-up).

locals {
  # ROUTE_KEYS in functions/lib/api/routes.ts; a unit test holds the two together.
  api_route_keys = [
    "POST /uploads",
    "GET /jobs",
    "GET /jobs/{id}",
    "GET /jobs/{id}/execution",
    "GET /jobs/{id}/result",
    "GET /jobs/{id}/edits",
    "POST /jobs/{id}/edits",
    "GET /jobs/{id}/edits/{version}",
    "POST /jobs/{id}/edits/{version}/restore",
    "GET /jobs/{id}/export",
  ]

  api_allowed_origins = concat([local.web_origin], var.api_extra_allowed_origins)
  cognito_issuer      = "https://cognito-idp.${var.region}.amazonaws.com/${aws_cognito_user_pool.users.id}"
  cognito_domain_url  = "https://${aws_cognito_user_pool_domain.users.domain}.auth.${var.region}.amazoncognito.com"
}

# --- Users ---------------------------------------------------------------------------------

resource "aws_cognito_user_pool" "users" {
  name                     = "${var.name_prefix}-users"
  deletion_protection      = var.deletion_protection ? "ACTIVE" : "INACTIVE"
  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]
  mfa_configuration        = "OPTIONAL"

  admin_create_user_config {
    allow_admin_create_user_only = true
  }

  software_token_mfa_configuration {
    enabled = true
  }

  password_policy {
    minimum_length                   = 12
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = false
    temporary_password_validity_days = 3
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }
}

# Members see every job (the bot's contributions included); everyone else sees their own.
# functions/lib/access/ownership.ts ADMINS_GROUP names it.
resource "aws_cognito_user_group" "admins" {
  name         = "admins"
  user_pool_id = aws_cognito_user_pool.users.id
  description  = "Gorggle operators: they see and read every job, contributions included."
}

resource "aws_cognito_user_pool_domain" "users" {
  domain       = "${var.name_prefix}-${local.bucket_name_suffix}"
  user_pool_id = aws_cognito_user_pool.users.id
}

# The web page is a public client: authorization code with PKCE, no secret.
resource "aws_cognito_user_pool_client" "web" {
  name                                 = "${var.name_prefix}-web"
  user_pool_id                         = aws_cognito_user_pool.users.id
  generate_secret                      = false
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["code"]
  allowed_oauth_scopes                 = ["openid", "email"]
  supported_identity_providers         = ["COGNITO"]
  callback_urls                        = ["${local.web_origin}/"]
  logout_urls                          = ["${local.web_origin}/"]
  prevent_user_existence_errors        = "ENABLED"
  enable_token_revocation              = true
  explicit_auth_flows                  = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]
  access_token_validity                = 60
  id_token_validity                    = 60
  refresh_token_validity               = 12

  token_validity_units {
    access_token  = "minutes"
    id_token      = "minutes"
    refresh_token = "hours"
  }
}

# --- HTTP API ------------------------------------------------------------------------------

resource "aws_apigatewayv2_api" "results" {
  name          = "${var.name_prefix}-api"
  description   = "Gorggle results API: uploads, jobs, executions and result links."
  protocol_type = "HTTP"

  cors_configuration {
    allow_origins  = local.api_allowed_origins
    allow_methods  = ["GET", "POST"]
    allow_headers  = ["authorization", "content-type"]
    expose_headers = ["www-authenticate", "content-disposition", "x-gorggle-edits-version"]
    max_age        = 3600
  }
}

resource "aws_apigatewayv2_authorizer" "cognito" {
  api_id           = aws_apigatewayv2_api.results.id
  name             = "cognito"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = local.cognito_issuer
    audience = [aws_cognito_user_pool_client.web.id]
  }
}

resource "aws_apigatewayv2_integration" "api_function" {
  api_id                 = aws_apigatewayv2_api.results.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.this["api"].invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = local.lambda_functions.api.timeout * 1000
}

# Every route needs a valid token: none is open to the world.
resource "aws_apigatewayv2_route" "api" {
  for_each = toset(local.api_route_keys)

  api_id             = aws_apigatewayv2_api.results.id
  route_key          = each.value
  target             = "integrations/${aws_apigatewayv2_integration.api_function.id}"
  authorization_type = "JWT"
  authorizer_id      = aws_apigatewayv2_authorizer.cognito.id
}

resource "aws_cloudwatch_log_group" "api_access" {
  name              = "/aws/apigateway/${var.name_prefix}-api"
  retention_in_days = var.log_retention_days
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.results.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = var.api_throttling_burst_limit
    throttling_rate_limit  = var.api_throttling_rate_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    format = jsonencode({
      requestId       = "$context.requestId"
      routeKey        = "$context.routeKey"
      status          = "$context.status"
      latencyMs       = "$context.responseLatency"
      caller          = "$context.authorizer.claims.sub"
      authorizerError = "$context.authorizer.error"
      integrationErr  = "$context.integrationErrorMessage"
    })
  }
}

resource "aws_lambda_permission" "api_gateway" {
  statement_id  = "AllowHttpApiInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["api"].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.results.execution_arn}/*/*"
}

# --- The api function's policy: what functions/api's code calls ----------------------------

data "aws_iam_policy_document" "api" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [local.function_log_streams["api"]]
  }

  statement {
    sid       = "ReadJobRows"
    actions   = ["dynamodb:GetItem"]
    resources = [aws_dynamodb_table.jobs.arn]
  }

  # recent: an admin's list of every job; by-owner: everyone else's list of their own.
  statement {
    sid       = "ListJobRows"
    actions   = ["dynamodb:Query"]
    resources = ["${aws_dynamodb_table.jobs.arn}/index/recent", "${aws_dynamodb_table.jobs.arn}/index/by-owner"]
  }

  statement {
    sid       = "ReadExecutionHistory"
    actions   = ["states:GetExecutionHistory"]
    resources = ["arn:${local.partition}:states:${var.region}:${local.account_id}:execution:${local.state_machine_name}:*"]
  }

  # why: a presigned POST is signed with this role; S3 checks s3:PutObject when the browser posts.
  statement {
    sid       = "SignUploads"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.this["uploads"].arn}/uploads/*"]
  }

  # Caption edits: new versions only, each created with If-None-Match so none is overwritten.
  statement {
    sid       = "SaveCaptionEdits"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.this["processed"].arn}/jobs/*/edits/*"]
  }

  statement {
    sid       = "ReadAndSignResults"
    actions   = ["s3:GetObject"]
    resources = [local.job_files_arn]
  }

  # Lists a job's folder to learn which result files exist (ListObjectsV2 with its prefix).
  statement {
    sid       = "ListJobFiles"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.this["processed"].arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["jobs/*"]
    }
  }
}
