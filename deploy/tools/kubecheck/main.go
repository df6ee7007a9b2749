// kubecheck decodes rendered Kubernetes objects strictly into their Go API types.
//
//	helm template ... | kubecheck --external kafka.strimzi.io,keda.sh [--json out.json] -
//
// Every document must have an apiVersion and kind this program knows (the built-in
// Kubernetes API groups of k8s.io/api, the Prometheus Operator's monitoring.coreos.com and
// the Gateway API's gateway.networking.k8s.io/v1),
// and must decode with sigs.k8s.io/yaml.UnmarshalStrict into that type: a field the type does
// not have (a misspelt readinessProbe), a value of the wrong type, a malformed quantity or a
// repeated key fails. A PrometheusRule's expressions must parse as PromQL (Prometheus's own
// parser, github.com/prometheus/prometheus/promql/parser): what `promtool check rules` checks
// of an expression, without building promtool. Kinds of the API groups named by --external are left to another checker
// and listed as such; any other unknown kind fails. Exit status 1 when anything failed.
// --json writes every document, as JSON, to a file (an array), for tests to read.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"
)

type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

func newScheme() (*runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		admissionregistrationv1.AddToScheme,
		appsv1.AddToScheme,
		autoscalingv1.AddToScheme,
		autoscalingv2.AddToScheme,
		batchv1.AddToScheme,
		corev1.AddToScheme,
		networkingv1.AddToScheme,
		policyv1.AddToScheme,
		rbacv1.AddToScheme,
		schedulingv1.AddToScheme,
		monitoringv1.AddToScheme,
		gatewayv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			return nil, err
		}
	}
	return scheme, nil
}

// splitDocuments splits a YAML stream on lines that are exactly "---" (as helm writes them),
// keeping each document's first line number for messages.
func splitDocuments(r io.Reader) ([][]byte, []int, error) {
	var docs [][]byte
	var starts []int
	var current bytes.Buffer
	start, line := 1, 0
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 1024*1024), 64*1024*1024)
	for scanner.Scan() {
		line++
		text := scanner.Text()
		if strings.TrimRight(text, " ") == "---" {
			docs, starts = append(docs, append([]byte(nil), current.Bytes()...)), append(starts, start)
			current.Reset()
			start = line + 1
			continue
		}
		current.WriteString(text)
		current.WriteByte('\n')
	}
	docs, starts = append(docs, current.Bytes()), append(starts, start)
	return docs, starts, scanner.Err()
}

func blank(doc []byte) bool {
	for _, l := range strings.Split(string(doc), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

// decodeStrictly decodes doc into obj twice. First with sigs.k8s.io/yaml.UnmarshalStrict: no
// unknown or repeated field. Then as the API server would get it from kubectl: YAML turned
// into JSON without looking at the target type (so `data: {a: 1}` in a ConfigMap is a number,
// which a map of strings refuses), decoded with unknown fields refused.
func decodeStrictly(doc []byte, obj runtime.Object) error {
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return err
	}
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	decoder := json.NewDecoder(bytes.NewReader(j))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(obj); err != nil {
		return fmt.Errorf("as JSON: %w", err)
	}
	return nil
}

func main() {
	external := flag.String("external", "", "comma-separated API groups checked elsewhere (e.g. kafka.strimzi.io,keda.sh)")
	quiet := flag.Bool("q", false, "print failures and the summary only")
	jsonOut := flag.String("json", "", "also write every document as a JSON array to this file")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: kubecheck [--external groups] FILE|- ...")
		os.Exit(2)
	}
	externalGroups := map[string]bool{}
	for _, g := range strings.Split(*external, ",") {
		if g = strings.TrimSpace(g); g != "" {
			externalGroups[g] = true
		}
	}
	scheme, err := newScheme()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubecheck:", err)
		os.Exit(2)
	}

	failures, checked := 0, 0
	all := []json.RawMessage{}
	left := map[string]int{}
	for _, name := range flag.Args() {
		var in io.Reader = os.Stdin
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				fmt.Fprintln(os.Stderr, "kubecheck:", err)
				os.Exit(2)
			}
			defer f.Close()
			in = f
		}
		docs, starts, err := splitDocuments(in)
		if err != nil {
			fmt.Fprintln(os.Stderr, "kubecheck:", err)
			os.Exit(2)
		}
		for i, doc := range docs {
			if blank(doc) {
				continue
			}
			where := fmt.Sprintf("%s:%d", name, starts[i])
			if j, err := yaml.YAMLToJSON(doc); err == nil {
				all = append(all, j)
			}
			var meta typeMeta
			if err := yaml.Unmarshal(doc, &meta); err != nil {
				fmt.Printf("FAIL %s: not a YAML object: %v\n", where, err)
				failures++
				continue
			}
			id := fmt.Sprintf("%s %s %s", meta.APIVersion, meta.Kind, meta.Metadata.Name)
			gv, err := schema.ParseGroupVersion(meta.APIVersion)
			if err != nil || meta.Kind == "" || meta.Metadata.Name == "" {
				fmt.Printf("FAIL %s (%s): apiVersion, kind and metadata.name are required\n", where, id)
				failures++
				continue
			}
			if externalGroups[gv.Group] {
				left[meta.APIVersion+" "+meta.Kind]++
				continue
			}
			obj, err := scheme.New(gv.WithKind(meta.Kind))
			if err != nil {
				fmt.Printf("FAIL %s (%s): unknown kind: %v\n", where, id, err)
				failures++
				continue
			}
			if err := decodeStrictly(doc, obj); err != nil {
				fmt.Printf("FAIL %s (%s): %v\n", where, id, err)
				failures++
				continue
			}
			if rule, ok := obj.(*monitoringv1.PrometheusRule); ok {
				if problems := checkRules(rule); len(problems) > 0 {
					for _, p := range problems {
						fmt.Printf("FAIL %s (%s): PromQL: %s\n", where, id, p)
					}
					failures++
					continue
				}
			}
			checked++
			if !*quiet {
				fmt.Printf("ok   %s\n", id)
			}
		}
	}
	if *jsonOut != "" {
		out, err := json.Marshal(all)
		if err == nil {
			err = os.WriteFile(*jsonOut, out, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "kubecheck:", err)
			os.Exit(2)
		}
	}
	kinds := make([]string, 0, len(left))
	for k := range left {
		kinds = append(kinds, fmt.Sprintf("%s (%d)", k, left[k]))
	}
	sort.Strings(kinds)
	fmt.Printf("kubecheck: %d decoded strictly, %d failed", checked, failures)
	if len(kinds) > 0 {
		fmt.Printf("; left to their own checker: %s", strings.Join(kinds, ", "))
	}
	fmt.Println()
	if failures > 0 {
		os.Exit(1)
	}
}
