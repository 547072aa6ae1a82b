# The web page (web/, built into dist/web by `make build`): a private bucket read only by
# CloudFront through origin access control, strict security headers, and a config.json
# generated here that tells the page where the API and the sign-in live.

locals {
  web_dist_dir = coalesce(var.web_dist_dir, "${path.module}/../dist/web")
  web_origin   = "https://${aws_cloudfront_distribution.web.domain_name}"

  # The browser uploads to the uploads bucket and reads results from the processed bucket.
  upload_cors_origins = concat([local.web_origin], var.cors_allowed_origins)
  bucket_hosts = join(" ", flatten([
    for name in ["uploads", "processed"] : [
      "https://${aws_s3_bucket.this[name].id}.s3.amazonaws.com",
      "https://${aws_s3_bucket.this[name].id}.s3.${var.region}.amazonaws.com",
    ]
  ]))

  web_content_types = {
    html = "text/html; charset=utf-8"
    js   = "text/javascript; charset=utf-8"
    css  = "text/css; charset=utf-8"
    svg  = "image/svg+xml"
    png  = "image/png"
    ico  = "image/x-icon"
    map  = "application/json"
    txt  = "text/plain; charset=utf-8"
  }
  web_files = [for file in fileset(local.web_dist_dir, "**") : file if !contains(["config.json", "index.html"], file)]

  # The page may call exactly this API. The response headers policy below cannot name it
  # (the API's CORS names the distribution: a cycle), so index.html carries a second policy
  # in a meta tag; a browser enforces both, and this one narrows connect-src to the one API.
  api_connect_csp = join(" ", [
    "connect-src 'self'",
    aws_apigatewayv2_api.results.api_endpoint,
    local.cognito_domain_url,
    local.bucket_hosts,
  ])
  charset_meta = "<meta charset=\"utf-8\" />"

  web_config = {
    apiUrl            = aws_apigatewayv2_api.results.api_endpoint
    region            = var.region
    consoleLinks      = true
    maxUploadBytes    = var.max_upload_bytes
    allowedExtensions = var.allowed_extensions
    auth = {
      kind        = "cognito"
      domain      = local.cognito_domain_url
      clientId    = aws_cognito_user_pool_client.web.id
      redirectUri = "${local.web_origin}/"
    }
  }
}

resource "aws_s3_bucket" "web" {
  bucket        = "${var.name_prefix}-web-${local.bucket_name_suffix}"
  force_destroy = true
}

resource "aws_s3_bucket_ownership_controls" "web" {
  bucket = aws_s3_bucket.web.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "web" {
  bucket                  = aws_s3_bucket.web.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "web" {
  bucket = aws_s3_bucket.web.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

data "aws_iam_policy_document" "web_bucket" {
  statement {
    sid       = "CloudFrontReadsThePage"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.web.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.web.arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.web.arn, "${aws_s3_bucket.web.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "web" {
  bucket = aws_s3_bucket.web.id
  policy = data.aws_iam_policy_document.web_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.web]
}

resource "aws_s3_object" "web" {
  for_each = toset(local.web_files)

  bucket        = aws_s3_bucket.web.id
  key           = each.value
  source        = "${local.web_dist_dir}/${each.value}"
  etag          = filemd5("${local.web_dist_dir}/${each.value}")
  content_type  = lookup(local.web_content_types, reverse(split(".", each.value))[0], "application/octet-stream")
  cache_control = "no-cache"
}

resource "aws_s3_object" "web_index" {
  bucket = aws_s3_bucket.web.id
  key    = "index.html"
  # Read only when built, so a missing build fails the precondition below, which says what to do.
  content = replace(
    fileexists("${local.web_dist_dir}/index.html") ? file("${local.web_dist_dir}/index.html") : "",
    local.charset_meta,
    "${local.charset_meta}\n    <meta http-equiv=\"Content-Security-Policy\" content=\"${local.api_connect_csp}\" />",
  )
  content_type  = "text/html; charset=utf-8"
  cache_control = "no-cache"

  lifecycle {
    # Without the built page CloudFront would serve a blank site.
    precondition {
      condition     = fileexists("${local.web_dist_dir}/index.html")
      error_message = "${local.web_dist_dir}/index.html is missing: run `make build` first (make deploy does)."
    }
  }
}

resource "aws_s3_object" "web_config" {
  bucket        = aws_s3_bucket.web.id
  key           = "config.json"
  content       = jsonencode(local.web_config)
  content_type  = "application/json"
  cache_control = "no-cache"
}

# The page reads result.json, captions and the video from the processed bucket.
resource "aws_s3_bucket_cors_configuration" "processed" {
  bucket = aws_s3_bucket.this["processed"].id

  cors_rule {
    allowed_methods = ["GET", "HEAD"]
    allowed_origins = local.upload_cors_origins
    allowed_headers = ["*"]
    max_age_seconds = 3600
  }
}

# --- CloudFront ------------------------------------------------------------------------------

resource "aws_cloudfront_origin_access_control" "web" {
  name                              = "${var.name_prefix}-web"
  description                       = "CloudFront reads the web page from its private bucket."
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_response_headers_policy" "web" {
  name    = "${var.name_prefix}-web-security"
  comment = "Security headers of the Gorggle web page."

  security_headers_config {
    content_security_policy {
      override = true
      content_security_policy = join("; ", [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: ${local.bucket_hosts}",
        "media-src ${local.bucket_hosts}",
        # The API's own host would be a cycle (its CORS names this distribution): index.html's
        # own policy (aws_s3_object.web_index) narrows this to the one API.
        "connect-src 'self' https://*.execute-api.${var.region}.amazonaws.com ${local.cognito_domain_url} ${local.bucket_hosts}",
        "form-action 'self' ${local.cognito_domain_url}",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
      ])
    }
    content_type_options {
      override = true
    }
    frame_options {
      frame_option = "DENY"
      override     = true
    }
    referrer_policy {
      referrer_policy = "no-referrer"
      override        = true
    }
    strict_transport_security {
      access_control_max_age_sec = 63072000
      include_subdomains         = true
      preload                    = true
      override                   = true
    }
  }

  custom_headers_config {
    items {
      header   = "Permissions-Policy"
      value    = "camera=(), microphone=(), geolocation=(), payment=()"
      override = true
    }
  }
}

data "aws_cloudfront_cache_policy" "caching_optimized" {
  name = "Managed-CachingOptimized"
}

resource "aws_cloudfront_distribution" "web" {
  enabled             = true
  comment             = "${var.name_prefix} web page"
  default_root_object = "index.html"
  price_class         = var.web_price_class
  http_version        = "http2and3"

  origin {
    origin_id                = "web-bucket"
    domain_name              = aws_s3_bucket.web.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.web.id
  }

  default_cache_behavior {
    target_origin_id           = "web-bucket"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.caching_optimized.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.web.id
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  # CloudFront's default certificate (*.cloudfront.net) ignores minimum_protocol_version and
  # reports TLSv1, so setting another value only shows a change on every plan.
  viewer_certificate {
    cloudfront_default_certificate = true
  }
}
