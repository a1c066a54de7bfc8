# Networking: no security group lets the whole internet in, except HTTP and HTTPS on the
# security group of an internet-facing load balancer.
package goldenpath.guardrails

import rego.v1

# [resource, rule] for every ingress rule: inline in a security group, or on its own.
ingress contains [name, group, rule] if {
	some name, sg in input.template.Resources
	sg.Type == "AWS::EC2::SecurityGroup"
	some rule in sg.Properties.SecurityGroupIngress
	group := name
}

ingress contains [name, group, rule] if {
	some name, resource in input.template.Resources
	resource.Type == "AWS::EC2::SecurityGroupIngress"
	rule := resource.Properties
	group := group_of(rule.GroupId)
}

group_of(ref) := ref.Ref
group_of(ref) := ref["Fn::GetAtt"][0]
group_of(ref) := ref if is_string(ref)

from_anywhere(rule) if rule.CidrIp == "0.0.0.0/0"
from_anywhere(rule) if rule.CidrIpv6 == "::/0"

# The security groups that internet-facing load balancers of this template use.
public_groups contains group if {
	some lb in input.template.Resources
	lb.Type == "AWS::ElasticLoadBalancingV2::LoadBalancer"
	lb.Properties.Scheme == "internet-facing"
	some ref in lb.Properties.SecurityGroups
	group := group_of(ref)
}

web_port(rule) if {
	some port in data.guardrails.public_ports
	rule.FromPort == port
	rule.ToPort == port
}

deny contains {"rule": "no_open_ingress", "resource": name, "message": msg} if {
	some [name, group, rule] in ingress
	from_anywhere(rule)
	not allowed(group, rule)
	msg := sprintf(
		"ingress from the whole internet (%s) on %s: only ports %v of an internet-facing load balancer may be open",
		[object.get(rule, "CidrIp", object.get(rule, "CidrIpv6", "")), ports(rule), data.guardrails.public_ports],
	)
}

allowed(group, rule) if {
	group in public_groups
	web_port(rule)
}

ports(rule) := sprintf("port %v", [rule.FromPort]) if rule.FromPort == rule.ToPort
ports(rule) := sprintf("ports %v-%v", [rule.FromPort, rule.ToPort]) if rule.FromPort != rule.ToPort
ports(rule) := "every port" if not rule.FromPort
