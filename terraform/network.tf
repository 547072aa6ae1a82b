# The private network of the lip-reading server and of invoke-lipreading, the one function
# that calls it. Only with enable_lipreading. Either a VPC made here (private subnets in the
# zones that offer the GPU type, no internet gateway, no NAT: the VPC endpoints below are the
# only ways out) or an existing one (vpc_id, lambda_subnet_ids), which needs a NAT gateway or
# create_vpc_endpoints; the check at the end warns on plan when it has neither.
#
# What talks to what, all over HTTPS except the server's own port:
#   invoke-lipreading -> EC2 and Auto Scaling APIs (wake the GPU group), DynamoDB (job rows),
#                        S3 (the model manifest), SSM (the server's shared secret), the server
#   GPU instance      -> S3 (bundle, model package, videos and results), SSM (the shared
#                        secret); with avhubert_session_manager also ssmmessages, ec2messages

locals {
  create_vpc           = local.lipreading_enabled && var.vpc_id == null
  create_vpc_endpoints = local.lipreading_enabled && coalesce(var.create_vpc_endpoints, local.create_vpc)

  vpc_id = local.create_vpc ? aws_vpc.this[0].id : var.vpc_id
  # Zones that offer the GPU type, so every subnet can host it.
  vpc_zones = local.create_vpc ? slice(
    sort(data.aws_ec2_instance_type_offerings.gpu_zones[0].locations), 0,
    min(var.vpc_zone_count, length(data.aws_ec2_instance_type_offerings.gpu_zones[0].locations)),
  ) : []
  lambda_subnet_ids   = local.create_vpc ? aws_subnet.private[*].id : coalesce(var.lambda_subnet_ids, [])
  avhubert_subnet_ids = local.create_vpc ? aws_subnet.private[*].id : (var.avhubert_subnet_id != null ? [var.avhubert_subnet_id] : coalesce(var.lambda_subnet_ids, []))

  # Interface endpoints, by service: who needs each.
  interface_endpoints = local.create_vpc_endpoints ? merge(
    {
      ec2         = "invoke-lipreading finds the GPU instance"
      autoscaling = "invoke-lipreading wakes the GPU group"
      ssm         = "the lip-reading server's shared secret, for both ends (and Session Manager)"
    },
    var.avhubert_session_manager ? {
      ssmmessages = "Session Manager on the GPU instance"
      ec2messages = "Session Manager on the GPU instance"
    } : {},
  ) : {}
  # One subnet holds the interface endpoints (each costs per zone); the others reach it in-VPC.
  interface_endpoint_subnet_ids = slice(local.lambda_subnet_ids, 0, min(1, length(local.lambda_subnet_ids)))
}

data "aws_ec2_instance_type_offerings" "gpu_zones" {
  count = local.create_vpc ? 1 : 0

  location_type = "availability-zone"

  filter {
    name   = "instance-type"
    values = [var.avhubert_instance_type]
  }
}

# The AWS-managed prefix lists of the regional S3 and DynamoDB addresses, for egress rules.
data "aws_prefix_list" "s3" {
  count = local.lipreading_enabled ? 1 : 0

  name = "com.amazonaws.${var.region}.s3"
}

data "aws_prefix_list" "dynamodb" {
  count = local.lipreading_enabled ? 1 : 0

  name = "com.amazonaws.${var.region}.dynamodb"
}

# --- The VPC this module creates ------------------------------------------------------------

resource "aws_vpc" "this" {
  count = local.create_vpc ? 1 : 0

  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true # interface endpoints answer the services' own names

  tags = { Name = "${var.name_prefix}-lipreading" }
}

# No rules: nothing uses the default security group, so it lets nothing through.
resource "aws_default_security_group" "this" {
  count = local.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id
  tags   = { Name = "${var.name_prefix}-default-deny" }
}

resource "aws_subnet" "private" {
  count = length(local.vpc_zones)

  vpc_id                  = aws_vpc.this[0].id
  availability_zone       = local.vpc_zones[count.index]
  cidr_block              = cidrsubnet(var.vpc_cidr, 24 - tonumber(split("/", var.vpc_cidr)[1]), count.index)
  map_public_ip_on_launch = false

  tags = { Name = "${var.name_prefix}-private-${local.vpc_zones[count.index]}" }
}

resource "aws_route_table" "private" {
  count = local.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id
  tags   = { Name = "${var.name_prefix}-private" }
}

resource "aws_route_table_association" "private" {
  count = length(local.vpc_zones)

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[0].id
}

# --- VPC endpoints -------------------------------------------------------------------------

# The route tables of the subnets passed in, for the gateway endpoints.
data "aws_route_table" "existing" {
  for_each = local.create_vpc_endpoints && !local.create_vpc ? toset(local.lambda_subnet_ids) : toset([])

  subnet_id = each.value
}

locals {
  endpoint_route_table_ids = local.create_vpc ? aws_route_table.private[*].id : distinct([for table in data.aws_route_table.existing : table.id])
}

# Gateway endpoints are free: S3 for the instance and the model check, DynamoDB for job rows.
resource "aws_vpc_endpoint" "gateway" {
  for_each = local.create_vpc_endpoints ? toset(["s3", "dynamodb"]) : toset([])

  vpc_id            = local.vpc_id
  service_name      = "com.amazonaws.${var.region}.${each.key}"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = local.endpoint_route_table_ids

  tags = { Name = "${var.name_prefix}-${each.key}" }
}

resource "aws_security_group" "vpc_endpoints" {
  count = length(local.interface_endpoints) > 0 ? 1 : 0

  name        = "${var.name_prefix}-vpc-endpoints"
  description = "Interface endpoints: HTTPS from invoke-lipreading and the lip-reading server."
  vpc_id      = local.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "vpc_endpoints_https" {
  for_each = length(local.interface_endpoints) > 0 ? {
    lipreading_function = aws_security_group.lipreading_function[0].id
    avhubert            = aws_security_group.avhubert[0].id
  } : {}

  security_group_id            = aws_security_group.vpc_endpoints[0].id
  description                  = "HTTPS from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = each.value
}

resource "aws_vpc_endpoint" "interface" {
  for_each = local.interface_endpoints

  vpc_id              = local.vpc_id
  service_name        = "com.amazonaws.${var.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = local.interface_endpoint_subnet_ids
  security_group_ids  = [aws_security_group.vpc_endpoints[0].id]

  tags = { Name = "${var.name_prefix}-${each.key}", Purpose = each.value }
}

# --- Security groups ---------------------------------------------------------------------------

resource "aws_security_group" "lipreading_function" {
  count = local.lipreading_enabled ? 1 : 0

  name        = "${var.name_prefix}-invoke-lipreading"
  description = "invoke-lipreading function: calls the lip-reading server and AWS APIs."
  vpc_id      = local.vpc_id
}

resource "aws_security_group" "avhubert" {
  count = local.lipreading_enabled ? 1 : 0

  name        = "${var.name_prefix}-avhubert"
  description = "Lip-reading server: its API port from invoke-lipreading only; out only to S3 (and SSM)."
  vpc_id      = local.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "avhubert_from_lipreading_function" {
  count = local.lipreading_enabled ? 1 : 0

  security_group_id            = aws_security_group.avhubert[0].id
  description                  = "Lip-reading server API from invoke-lipreading"
  ip_protocol                  = "tcp"
  from_port                    = var.avhubert_port
  to_port                      = var.avhubert_port
  referenced_security_group_id = aws_security_group.lipreading_function[0].id
}

locals {
  # Egress over HTTPS, per security group: S3 and DynamoDB by their prefix lists; the AWS APIs
  # behind interface endpoints by the endpoints' group; anything else only where the VPC was
  # passed in without our endpoints, because its NAT's or endpoints' addresses are not known.
  https_egress = local.lipreading_enabled ? merge(
    {
      "lipreading_function-s3"       = { group = "lipreading_function", prefix_list = data.aws_prefix_list.s3[0].id, cidr = null, endpoints = false, why = "S3: the model manifest" }
      "lipreading_function-dynamodb" = { group = "lipreading_function", prefix_list = data.aws_prefix_list.dynamodb[0].id, cidr = null, endpoints = false, why = "DynamoDB: job rows" }
      "avhubert-s3"                  = { group = "avhubert", prefix_list = data.aws_prefix_list.s3[0].id, cidr = null, endpoints = false, why = "S3: the server bundle, the model package, videos and results" }
    },
    local.create_vpc_endpoints ? {
      "lipreading_function-endpoints" = { group = "lipreading_function", prefix_list = null, cidr = null, endpoints = true, why = "EC2, Auto Scaling and SSM through their VPC endpoints" }
      "avhubert-endpoints"            = { group = "avhubert", prefix_list = null, cidr = null, endpoints = true, why = "SSM (the shared secret, Session Manager) through its VPC endpoints" }
      } : {
      "lipreading_function-apis" = { group = "lipreading_function", prefix_list = null, cidr = "0.0.0.0/0", endpoints = false, why = "EC2, Auto Scaling and SSM through the VPC's NAT or endpoints" }
      "avhubert-apis"            = { group = "avhubert", prefix_list = null, cidr = "0.0.0.0/0", endpoints = false, why = "SSM (the shared secret) through the VPC's NAT or endpoints" }
    },
  ) : {}
  security_group_ids = local.lipreading_enabled ? {
    lipreading_function = aws_security_group.lipreading_function[0].id
    avhubert            = aws_security_group.avhubert[0].id
  } : {}
}

resource "aws_vpc_security_group_egress_rule" "https" {
  for_each = local.https_egress

  security_group_id            = local.security_group_ids[each.value.group]
  description                  = each.value.why
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  prefix_list_id               = each.value.prefix_list
  cidr_ipv4                    = each.value.cidr
  referenced_security_group_id = each.value.endpoints ? aws_security_group.vpc_endpoints[0].id : null
}

resource "aws_vpc_security_group_egress_rule" "lipreading_function_to_server" {
  count = local.lipreading_enabled ? 1 : 0

  security_group_id            = aws_security_group.lipreading_function[0].id
  description                  = "Lip-reading server API"
  ip_protocol                  = "tcp"
  from_port                    = var.avhubert_port
  to_port                      = var.avhubert_port
  referenced_security_group_id = aws_security_group.avhubert[0].id
}

# --- An existing VPC must reach the AWS APIs somehow ---------------------------------------------

check "existing_vpc_reaches_aws" {
  data "aws_nat_gateways" "existing" {
    filter {
      name   = "vpc-id"
      values = [coalesce(var.vpc_id, "vpc-none")]
    }

    filter {
      name   = "state"
      values = ["available"]
    }
  }

  assert {
    condition     = !local.lipreading_enabled || local.create_vpc || local.create_vpc_endpoints || length(data.aws_nat_gateways.existing.ids) > 0
    error_message = "vpc_id ${coalesce(var.vpc_id, "-")} has no NAT gateway and create_vpc_endpoints is false: unless it has VPC endpoints for S3, DynamoDB, EC2, Auto Scaling and SSM, lip reading cannot wake the GPU and the GPU cannot install itself or read its secret. Set create_vpc_endpoints = true, or leave vpc_id unset to let the module make a VPC."
  }
}

moved {
  from = aws_security_group.lipreading_function
  to   = aws_security_group.lipreading_function[0]
}

moved {
  from = aws_security_group.avhubert
  to   = aws_security_group.avhubert[0]
}

moved {
  from = aws_vpc_security_group_ingress_rule.avhubert_from_lipreading_function
  to   = aws_vpc_security_group_ingress_rule.avhubert_from_lipreading_function[0]
}

moved {
  from = aws_vpc_security_group_egress_rule.lipreading_function_to_server
  to   = aws_vpc_security_group_egress_rule.lipreading_function_to_server[0]
}
