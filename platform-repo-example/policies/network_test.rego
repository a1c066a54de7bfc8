package goldenpath.guardrails_test

import rego.v1

import data.goldenpath.guardrails

group(ingress) := {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": ingress}}

balancer(scheme) := {
	"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
	"Properties": {"Scheme": scheme, "SecurityGroups": [{"Fn::GetAtt": ["LbGroup", "GroupId"]}]},
}

https := {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"}

ssh := {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}

test_https_on_a_public_load_balancer_passes if {
	doc := {"Resources": {"LbGroup": group([https]), "Lb": balancer("internet-facing")}}
	count(guardrails.deny) == 0 with input.template as doc
}

test_ssh_from_anywhere_is_denied if {
	doc := {"Resources": {"LbGroup": group([ssh]), "Lb": balancer("internet-facing")}}
	some result in guardrails.deny with input.template as doc
	result.rule == "no_open_ingress"
	result.resource == "LbGroup"
	contains(result.message, "port 22")
}

test_https_on_an_internal_load_balancer_is_denied if {
	doc := {"Resources": {"LbGroup": group([https]), "Lb": balancer("internal")}}
	rules(guardrails.deny) == {"no_open_ingress"} with input.template as doc
}

test_a_standalone_ingress_rule_is_checked_too if {
	rule := object.union(ssh, {"GroupId": {"Ref": "LbGroup"}})
	doc := {"Resources": {
		"LbGroup": group([]),
		"Lb": balancer("internet-facing"),
		"Open": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": rule},
	}}
	some result in guardrails.deny with input.template as doc
	result.resource == "Open"
}

test_ipv6_from_anywhere_counts if {
	rule := {"IpProtocol": "-1", "CidrIpv6": "::/0"}
	doc := {"Resources": {"Group": group([rule])}}
	some result in guardrails.deny with input.template as doc
	contains(result.message, "every port")
}

test_ingress_from_a_security_group_passes if {
	rule := {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "SourceSecurityGroupId": "sg-1"}
	doc := {"Resources": {"Group": group([rule])}}
	count(guardrails.deny) == 0 with input.template as doc
}
