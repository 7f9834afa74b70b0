variable "trusted_principal_arn" {
  description = "ARN of the identity srm-bot runs as (e.g. arn:aws:iam::111122223333:role/srm-bot)."
  type        = string
}

variable "external_id" {
  description = "Shared secret srm-bot sends on AssumeRole (srm.yml external_id)."
  type        = string
  sensitive   = true
}

variable "role_name" {
  description = "Name of the read-only role (srm.yml organizations.role_name)."
  type        = string
  default     = "srm-bot-readonly"
}

variable "enable_securityhub_push" {
  description = "Also attach the separate Security Hub write policy (srm securityhub push)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for the role and policies."
  type        = map(string)
  default     = { app = "srm-bot" }
}
