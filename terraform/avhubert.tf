# The lip-reading server (ec2-avhubert/) on one GPU instance in a private subnet. It powers
# itself off when idle (shutdown behaviour "stop"); invoke-lipreading finds it by tag and
# starts it when a job needs it, so no role can stop or terminate it.

locals {
  # invoke-lipreading's DescribeInstances filter (AVHUBERT_INSTANCE_TAG) matches this tag.
  avhubert_role_tag = { key = "gorggle:role", value = "avhubert" }
  avhubert_ami_id   = var.avhubert_ami_id != null ? var.avhubert_ami_id : data.aws_ssm_parameter.deep_learning_ami[0].insecure_value
  avhubert_model_s3 = "s3://${aws_s3_bucket.this["artifacts"].id}/${var.avhubert_model_prefix}"
  avhubert_endpoint = "http://${aws_instance.avhubert.private_ip}:${var.avhubert_port}"

  # The keys of ec2-avhubert/systemd/avhubert.env.example; setup-ubuntu-g4dn.sh keeps an
  # existing file, so these values win whether the AMI is baked before or set up after.
  avhubert_user_data = <<-EOT
    #!/bin/bash
    set -euo pipefail
    install -d -m 0755 /etc/gorggle
    cat > /etc/gorggle/avhubert.env <<'ENV'
    GORGGLE_AVHUBERT_HOST=0.0.0.0
    GORGGLE_AVHUBERT_PORT=${var.avhubert_port}
    GORGGLE_MODEL_DIR=/opt/gorggle-models/current
    GORGGLE_DEVICE=cuda
    GORGGLE_IDLE_SHUTDOWN_MINUTES=${var.avhubert_idle_shutdown_minutes}
    GORGGLE_MODEL_S3_URI=${local.avhubert_model_s3}
    GORGGLE_PROCESSED_BUCKET=${aws_s3_bucket.this["processed"].id}
    GORGGLE_AVHUBERT_SECRET_PARAMETER=${aws_ssm_parameter.avhubert_secret.name}
    AWS_REGION=${var.region}
    ENV
    chmod 0640 /etc/gorggle/avhubert.env
    if id gorggle >/dev/null 2>&1; then chown root:gorggle /etc/gorggle/avhubert.env; fi
    if [ -f /etc/systemd/system/gorggle-avhubert.service ]; then
      systemctl enable --now gorggle-avhubert.service
    fi
  EOT
}

# The secret invoke-lipreading sends on every request and the server requires. Made here
# from two random UUIDs, sent write-only: it is in no state, plan or output. Raise
# value_wo_version to rotate it (then restart the server, which reads it at start).
resource "aws_ssm_parameter" "avhubert_secret" {
  name             = "/${var.name_prefix}/avhubert/shared-secret"
  description      = "Shared secret between invoke-lipreading and the lip-reading server."
  type             = "SecureString"
  value_wo         = replace("${uuid()}${uuid()}", "-", "")
  value_wo_version = 1
}

data "aws_ssm_parameter" "deep_learning_ami" {
  count = var.avhubert_ami_id == null ? 1 : 0

  name = "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id"
}

data "aws_ami" "avhubert" {
  filter {
    name   = "image-id"
    values = [local.avhubert_ami_id]
  }
}

# --- Network: only the invoke-lipreading function reaches the server's port --------------

resource "aws_security_group" "lipreading_function" {
  name        = "${var.name_prefix}-invoke-lipreading"
  description = "invoke-lipreading function: calls the lip-reading server and AWS APIs."
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_egress_rule" "lipreading_function_to_server" {
  security_group_id            = aws_security_group.lipreading_function.id
  description                  = "Lip-reading server API"
  ip_protocol                  = "tcp"
  from_port                    = var.avhubert_port
  to_port                      = var.avhubert_port
  referenced_security_group_id = aws_security_group.avhubert.id
}

resource "aws_vpc_security_group_egress_rule" "lipreading_function_https" {
  security_group_id = aws_security_group.lipreading_function.id
  description       = "AWS APIs (EC2, DynamoDB, S3) over HTTPS"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_security_group" "avhubert" {
  name        = "${var.name_prefix}-avhubert"
  description = "Lip-reading server: its API port from invoke-lipreading only."
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "avhubert_from_lipreading_function" {
  security_group_id            = aws_security_group.avhubert.id
  description                  = "Lip-reading server API from invoke-lipreading"
  ip_protocol                  = "tcp"
  from_port                    = var.avhubert_port
  to_port                      = var.avhubert_port
  referenced_security_group_id = aws_security_group.lipreading_function.id
}

resource "aws_vpc_security_group_egress_rule" "avhubert_https" {
  security_group_id = aws_security_group.avhubert.id
  description       = "S3 (media, models) and SSM over HTTPS"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

# --- Instance role: job files and the model package, plus SSM instead of a key pair -------

data "aws_iam_policy_document" "ec2_assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "avhubert" {
  statement {
    sid       = "ReadSharedSecret"
    actions   = ["ssm:GetParameter"]
    resources = [aws_ssm_parameter.avhubert_secret.arn]
  }

  statement {
    sid       = "ReadVideosWriteResults"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = [local.job_files_arn]
  }

  statement {
    sid       = "ReadModelPackage"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.this["artifacts"].arn}/${var.avhubert_model_prefix}*"]
  }

  statement {
    sid       = "ListModelPackage"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.this["artifacts"].arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.avhubert_model_prefix}*"]
    }
  }
}

resource "aws_iam_role" "avhubert" {
  name               = "${var.name_prefix}-avhubert"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume_role.json
}

resource "aws_iam_role_policy" "avhubert" {
  name   = "${var.name_prefix}-avhubert"
  role   = aws_iam_role.avhubert.id
  policy = data.aws_iam_policy_document.avhubert.json
}

resource "aws_iam_role_policy_attachment" "avhubert_ssm" {
  role       = aws_iam_role.avhubert.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "avhubert" {
  name = "${var.name_prefix}-avhubert"
  role = aws_iam_role.avhubert.name
}

# --- The instance ---------------------------------------------------------------------------

resource "aws_launch_template" "avhubert" {
  name                                 = "${var.name_prefix}-avhubert"
  description                          = "Lip-reading server (ec2-avhubert) on a CUDA GPU."
  image_id                             = local.avhubert_ami_id
  instance_type                        = var.avhubert_instance_type
  instance_initiated_shutdown_behavior = "stop"
  user_data                            = base64encode(local.avhubert_user_data)
  update_default_version               = true

  iam_instance_profile {
    arn = aws_iam_instance_profile.avhubert.arn
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = data.aws_ami.avhubert.root_device_name

    ebs {
      volume_size           = var.avhubert_root_volume_gb
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  monitoring {
    enabled = true
  }

  tag_specifications {
    resource_type = "volume"
    tags          = { Name = "${var.name_prefix}-avhubert", (local.avhubert_role_tag.key) = local.avhubert_role_tag.value }
  }
}

resource "aws_instance" "avhubert" {
  subnet_id                            = var.avhubert_subnet_id
  vpc_security_group_ids               = [aws_security_group.avhubert.id]
  instance_initiated_shutdown_behavior = "stop"

  launch_template {
    id      = aws_launch_template.avhubert.id
    version = aws_launch_template.avhubert.latest_version
  }

  tags = {
    Name                          = "${var.name_prefix}-avhubert"
    (local.avhubert_role_tag.key) = local.avhubert_role_tag.value
  }

  lifecycle {
    # A new AMI release must not replace the server under a running job; taint it to upgrade.
    ignore_changes = [launch_template]
  }
}

# Moves the instance to healthy hardware when AWS's own checks fail. EC2 may refuse recovery
# for types with instance store (g4dn has NVMe); a stop and start then does the same move.
resource "aws_cloudwatch_metric_alarm" "avhubert_recover" {
  alarm_name          = "${var.name_prefix}-avhubert-system-check"
  alarm_description   = "The lip-reading instance failed its system status check: EC2 recovers it."
  namespace           = "AWS/EC2"
  metric_name         = "StatusCheckFailed_System"
  dimensions          = { InstanceId = aws_instance.avhubert.id }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 2
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = ["arn:${local.partition}:automate:${var.region}:ec2:recover"]
}
