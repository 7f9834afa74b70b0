output "role_arn" {
  description = "srm.yml accounts[].assume_role_arn"
  value       = aws_iam_role.scanner.arn
}
