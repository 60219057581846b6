variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "zones" {
  type    = list(string)
  default = = ["a"]
}
