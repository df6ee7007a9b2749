package main

import (
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/prometheus/promql/parser"
)

// checkRules parses every rule's PromQL expression, as Prometheus would on loading the rule.
func checkRules(rule *monitoringv1.PrometheusRule) []string {
	var problems []string
	for _, group := range rule.Spec.Groups {
		for _, r := range group.Rules {
			name := r.Alert
			if name == "" {
				name = r.Record
			}
			if _, err := parser.NewParser(parser.Options{}).ParseExpr(r.Expr.String()); err != nil {
				problems = append(problems, fmt.Sprintf("group %s, rule %s: %v", group.Name, name, err))
			}
		}
	}
	return problems
}
