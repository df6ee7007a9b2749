{{/*
Names, labels and the pieces every pod shares. Every service has pods: the keys of `services`
in the values (the schema requires exactly the registry's, shared.services). Those that meet on
Kafka, their topics and consumer groups come from files/topology.json, generated from the code
(make chart-topology); the workspace (web) is not in it.
*/}}

{{- define "send.topology" -}}
{{- .Files.Get "files/topology.json" -}}
{{- end -}}

{{/* "true" when a service meets the others on Kafka (it is in files/topology.json); the
workspace (web) is not: no Kafka settings, user, topics or lag scaling (args: root, service) */}}
{{- define "send.hasEvents" -}}
{{- if hasKey (include "send.topology" .root | fromJson).services .service -}}true{{- end -}}
{{- end -}}

{{/* The caseworker's page of a referral: caseworkerUrl, else the workspace's */}}
{{- define "send.caseworkerUrl" -}}
{{- .Values.caseworkerUrl | default (printf "%s/referrals/{referral_id}" (include "send.workspaceUrl" .)) -}}
{{- end -}}

{{/* The workspace's address in people's browsers */}}
{{- define "send.workspaceUrl" -}}
{{- .Values.workspace.publicUrl | default (printf "https://%s" .Values.services.web.ingress.host) | trimSuffix "/" -}}
{{- end -}}

{{/* TRUSTED_PROXIES: the ingress controller's (trustedProxies); for the four services also
the workspace's pods, which pass a family's address on (args: root, service) */}}
{{- define "send.trustedProxies" -}}
{{- $v := .root.Values -}}
{{- $proxies := list -}}
{{- if $v.trustedProxies }}{{ $proxies = append $proxies $v.trustedProxies }}{{ end -}}
{{- if and (include "send.hasEvents" .) $v.workspace.podNetwork }}{{ $proxies = append $proxies $v.workspace.podNetwork }}{{ end -}}
{{- join "," $proxies -}}
{{- end -}}


{{/* PARTNER_TOPICS as JSON: each NHS partner (strimzi.partners) whose inboundTopic is a
topic of its own, not the shared one, and that topic. Only its KafkaUser may write there, so
referrals takes a message on it as that partner's (args: root) */}}
{{- define "send.partnerTopics" -}}
{{- $shared := (include "send.topology" . | fromJson).partnerInbound.topic -}}
{{- $topics := dict -}}
{{- range .Values.strimzi.partners -}}
{{- if and .inboundTopic (ne .inboundTopic $shared) -}}
{{- $_ := set $topics .name .inboundTopic -}}
{{- end -}}
{{- end -}}
{{- toJson $topics -}}
{{- end -}}

{{/* COUNCILS: the ONS codes of the councils served, comma-separated (args: root) */}}
{{- define "send.councilCodes" -}}
{{- $codes := list -}}
{{- range .Values.councils }}{{ $codes = append $codes .code }}{{ end -}}
{{- join "," $codes -}}
{{- end -}}

{{/* COUNCIL_CONTACTS as JSON: each council served, by code, with its name and its SEND
team's phone and email where given (args: root) */}}
{{- define "send.councilContacts" -}}
{{- $contacts := dict -}}
{{- range .Values.councils -}}
{{- $contact := dict "name" (.name | default .code) -}}
{{- with .phone }}{{ $_ := set $contact "phone" . }}{{ end -}}
{{- with .email }}{{ $_ := set $contact "email" . }}{{ end -}}
{{- $_ := set $contacts .code $contact -}}
{{- end -}}
{{- toJson $contacts -}}
{{- end -}}

{{/* Each NHS partner's own topics, as JSON {partner: [topic, ...]}: for each partner of
partnerCouncils, the topology's partnerEvents patterns with its client id in place of
{partner} (nhs.referrals.outcome.<partner>.v1). Only that partner may read them (args: root) */}}
{{- define "send.partnerEventTopics" -}}
{{- $topology := include "send.topology" . | fromJson -}}
{{- $topics := dict -}}
{{- range $partner, $codes := .Values.partnerCouncils -}}
{{- $own := list -}}
{{- range $topology.partnerEvents -}}
{{- $own = append $own (replace $topology.partnerPlaceholder $partner .topic) -}}
{{- end -}}
{{- $_ := set $topics $partner $own -}}
{{- end -}}
{{- toJson $topics -}}
{{- end -}}

{{- define "send.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* <fullname>-<service>, e.g. send-platform-referrals */}}
{{- define "send.serviceName" -}}
{{- printf "%s-%s" (include "send.fullname" .root) .service | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The parts of a service a process may run besides its HTTP routes (PROCESS_PARTS,
shared/settings.py) */}}
{{- define "send.processParts" -}}
{{- list "consumers" "relay" "workers" | toJson -}}
{{- end -}}

{{/* A service's Deployments, as JSON {"deployments": [...]}: its own (main: its Service's
pods, the HTTP routes and every part no entry of services.<name>.processes takes), then one
per entry (<service>-<entry name>: the entry's parts, no Service). Each has: component (its
pods' app.kubernetes.io/component), name, serviceName (the service's Service), main, parts,
replicas, resources, autoscaling (an entry's left out: the service's), keda (KEDA scales it
on consumer lag: it runs the consumers) and split (the service has processes: each gets
PROCESS_PARTS). validate.yaml refuses what would be wrong (args: root, service) */}}
{{- define "send.deployments" -}}
{{- $svc := index .root.Values.services .service -}}
{{- $processes := $svc.processes | default list -}}
{{- $keda := and .root.Values.keda.enabled (include "send.hasEvents" .) -}}
{{- $taken := list -}}
{{- range $processes }}{{ $taken = concat $taken .parts }}{{ end -}}
{{- $own := list -}}
{{- range (include "send.processParts" . | fromJsonArray) -}}
{{- if not (has . $taken) }}{{ $own = append $own . }}{{ end -}}
{{- end -}}
{{- $main := dict "component" .service "main" true "parts" $own "replicas" $svc.replicas "resources" $svc.resources "autoscaling" $svc.autoscaling -}}
{{- $deployments := list $main -}}
{{- range $processes -}}
{{- $deployments = append $deployments (dict "component" (printf "%s-%s" $.service .name) "main" false "parts" .parts "replicas" (.replicas | default $svc.replicas) "resources" (.resources | default $svc.resources) "autoscaling" (.autoscaling | default $svc.autoscaling)) -}}
{{- end -}}
{{- range $deployments -}}
{{- $_ := set . "name" (include "send.serviceName" (dict "root" $.root "service" .component)) -}}
{{- $_ := set . "keda" (and (not (empty $keda)) (has "consumers" .parts)) -}}
{{- $_ := set . "split" (not (empty $processes)) -}}
{{- $_ := set . "serviceName" (include "send.serviceName" $) -}}
{{- end -}}
{{- dict "deployments" $deployments | toJson -}}
{{- end -}}

{{- define "send.commonLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: send-platform
{{- end -}}

{{/* Selector labels of one service's pods (args: root, service) */}}
{{- define "send.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .service }}
{{- end -}}

{{- define "send.labels" -}}
{{ include "send.commonLabels" .root }}
app.kubernetes.io/component: {{ .service }}
{{- end -}}

{{- define "send.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The Strimzi namespace: where KafkaTopics and KafkaUsers go */}}
{{- define "send.strimziNamespace" -}}
{{- .Values.strimzi.namespace | default .Release.Namespace -}}
{{- end -}}

{{/* A Kubernetes object name for a Kafka topic (topics may hold '_', names may not) */}}
{{- define "send.topicObjectName" -}}
{{- . | replace "_" "-" | lower | trunc 253 | trimSuffix "-" | trimSuffix "." -}}
{{- end -}}

{{/* The KafkaUser (and so Kafka principal and Secret) of a service (args: root, service) */}}
{{- define "send.kafkaUserName" -}}
{{- include "send.serviceName" . -}}
{{- end -}}

{{- define "send.strimziUsers" -}}
{{- if and .Values.strimzi.enabled .Values.strimzi.users.enabled -}}true{{- end -}}
{{- end -}}

{{- define "send.topicsJobEnabled" -}}
{{- $mode := toString .Values.topicsJob.enabled -}}
{{- if eq $mode "auto" -}}
{{- if not (and .Values.strimzi.enabled .Values.strimzi.topics.enabled) -}}true{{- end -}}
{{- else if eq $mode "true" -}}true{{- end -}}
{{- end -}}

{{- define "send.otlpEndpoint" -}}
{{- if .Values.tracing.otlpEndpoint -}}
{{- .Values.tracing.otlpEndpoint -}}
{{- else if .Values.otelCollector.enabled -}}
{{- printf "http://%s-otel-collector:4318" (include "send.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/*
Kafka connection settings, as environment variables, for a service's pods or a Job.
Args: root, service (or "" for the topics Job, which uses the first service's credentials
only when kafka.credentials.topics is not set).
*/}}
{{- define "send.kafkaEnv" -}}
{{- $root := .root -}}
{{- $k := $root.Values.kafka -}}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ $k.bootstrapServers | quote }}
- name: SEND_NAMESPACE
  value: {{ $k.namespace | quote }}
- name: PARTNER_TOPICS
  value: {{ include "send.partnerTopics" $root | quote }}
- name: PARTNER_COUNCILS
  value: {{ $root.Values.partnerCouncils | toJson | quote }}
- name: KAFKA_TOPIC_PARTITIONS
  value: {{ $k.partitions | quote }}
- name: KAFKA_REPLICATION_FACTOR
  value: {{ $k.replicationFactor | quote }}
- name: KAFKA_SECURITY_PROTOCOL
  value: {{ $k.securityProtocol | quote }}
{{- if hasPrefix "SASL" $k.securityProtocol }}
- name: KAFKA_SASL_MECHANISM
  value: {{ $k.saslMechanism | quote }}
{{- $cred := include "send.kafkaCredentials" . | fromJson }}
- name: KAFKA_SASL_USERNAME
  value: {{ $cred.username | quote }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $cred.secretName }}
      key: password
{{- end }}
{{- if hasSuffix "SSL" $k.securityProtocol }}
{{- if $k.caSecret.name }}
- name: KAFKA_SSL_CAFILE
  value: /etc/send/kafka-ca/ca.crt
{{- end }}
{{- if eq $k.securityProtocol "SSL" }}
- name: KAFKA_SSL_CERTFILE
  value: /etc/send/kafka-user/user.crt
- name: KAFKA_SSL_KEYFILE
  value: /etc/send/kafka-user/user.key
{{- end }}
{{- end }}
{{- end -}}

{{/* {"secretName": ..., "username": ...} of a service's Kafka credentials (args: root, service) */}}
{{- define "send.kafkaCredentials" -}}
{{- $root := .root -}}
{{- if and (include "send.strimziUsers" $root) (ne .service "topics") -}}
{{- $name := include "send.kafkaUserName" . -}}
{{- dict "secretName" $name "username" $name | toJson -}}
{{- else -}}
{{- $c := index $root.Values.kafka.credentials .service | default dict -}}
{{- if not (and $c.secretName $c.username) -}}
{{- fail (printf "kafka.credentials.%s.secretName and .username are needed with kafka.securityProtocol %s (the topics Job's always; the services' when Strimzi users are off)" .service $root.Values.kafka.securityProtocol) -}}
{{- end -}}
{{- dict "secretName" $c.secretName "username" $c.username | toJson -}}
{{- end -}}
{{- end -}}

{{/* Volumes holding the Kafka CA and (TLS authentication) the user's certificate */}}
{{- define "send.kafkaVolumes" -}}
{{- $root := .root -}}
{{- $k := $root.Values.kafka -}}
{{- if and (hasSuffix "SSL" $k.securityProtocol) $k.caSecret.name }}
- name: kafka-ca
  secret:
    secretName: {{ $k.caSecret.name }}
    items:
      - key: {{ $k.caSecret.key }}
        path: ca.crt
{{- end }}
{{- if eq $k.securityProtocol "SSL" }}
{{- $cred := include "send.kafkaCredentials" . | fromJson }}
- name: kafka-user
  secret:
    secretName: {{ $cred.secretName }}
    items:
      - key: user.crt
        path: user.crt
      - key: user.key
        path: user.key
{{- end }}
{{- end -}}

{{- define "send.kafkaVolumeMounts" -}}
{{- $k := .root.Values.kafka -}}
{{- if and (hasSuffix "SSL" $k.securityProtocol) $k.caSecret.name }}
- name: kafka-ca
  mountPath: /etc/send/kafka-ca
  readOnly: true
{{- end }}
{{- if eq $k.securityProtocol "SSL" }}
- name: kafka-user
  mountPath: /etc/send/kafka-user
  readOnly: true
{{- end }}
{{- end -}}

{{/* The settings every service reads (args: root, service) */}}
{{- define "send.serviceEnv" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $svc := index $v.services .service -}}
{{- $events := include "send.hasEvents" . -}}
{{- if $events }}
{{ include "send.kafkaEnv" . }}
{{- end }}
- name: {{ upper .service }}_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $svc.database.secretName }}
      key: {{ $svc.database.urlKey }}
- name: OIDC_ISSUER
  value: {{ $v.oidc.issuer | quote }}
- name: OIDC_AUDIENCE
  value: {{ $v.oidc.audience | quote }}
{{- if $v.oidc.jwksUrl }}
- name: OIDC_JWKS_URL
  value: {{ $v.oidc.jwksUrl | quote }}
{{- end }}
- name: OIDC_ROLES_CLAIM
  value: {{ $v.oidc.rolesClaim | quote }}
- name: OIDC_COUNCILS_CLAIM
  value: {{ $v.oidc.councilsClaim | quote }}
- name: OIDC_SCHOOL_URNS_CLAIM
  value: {{ $v.oidc.schoolUrnsClaim | default "school_urns" | quote }}
- name: OIDC_REGISTRY_ENTRY_CLAIM
  value: {{ $v.oidc.registryEntryClaim | default "registry_entry" | quote }}
{{- if eq .service "web" }}
{{- /* The event services have it with their Kafka settings; the workspace's settings
require it outside development too. */}}
- name: PARTNER_COUNCILS
  value: {{ $v.partnerCouncils | toJson | quote }}
{{ include "send.workspaceEnv" $root }}
{{- end }}
{{- if and (eq .service "referrals") $v.workspace.podNetwork }}
{{- /* The public form's requests from the workspace have slots of their own. */}}
- name: WORKSPACE_NETWORKS
  value: {{ $v.workspace.podNetwork | quote }}
{{- end }}
{{- if has .service (list "referrals" "plans" "notifications") }}
- name: FAMILY_LINK_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $v.familyLink.secretName }}
      key: {{ $v.familyLink.key }}
- name: FAMILY_LINK_DAYS
  value: {{ $v.familyLink.days | quote }}
{{- end }}
{{- if eq .service "notifications" }}
- name: FAMILY_VIEW_URL
  value: {{ $v.familyViewUrl | default (printf "%s/family/{token}" (include "send.workspaceUrl" $root)) | quote }}
- name: REQUEST_CONFIRM_URL
  value: {{ printf "%s/family/confirm/{token}" (include "send.workspaceUrl" $root) | quote }}
- name: CASEWORKER_VIEW_URL
  value: {{ include "send.caseworkerUrl" $root | quote }}
- name: TEAM_CASELOAD_URL
  value: {{ printf "%s/practitioner" (include "send.workspaceUrl" $root) | quote }}
- name: ADVISER_VIEW_URL
  value: {{ $v.adviserViewUrl | default (printf "%s/advisers/{token}" (include "send.workspaceUrl" $root)) | quote }}
- name: COUNCIL_MESSAGING
  valueFrom:
    secretKeyRef:
      name: {{ $v.councilMessaging.secretName }}
      key: {{ $v.councilMessaging.key }}
{{- end }}
{{- if eq .service "referrals" }}
- name: FAMILY_PLAN_URL
  value: {{ $v.familyPlanUrl | default (printf "%s/family/{token}/plan" (include "send.workspaceUrl" $root)) | quote }}
- name: REFERRAL_LINK
  value: {{ include "send.caseworkerUrl" $root | quote }}
{{- with $v.councilNotices }}
- name: COUNCIL_NOTICES
  value: {{ toJson . | quote }}
{{- end }}
{{- with $v.councils }}
- name: COUNCILS
  value: {{ include "send.councilCodes" $root | quote }}
{{- end }}
{{- end }}
{{- if and (eq .service "plans") $v.councils }}
- name: COUNCIL_CONTACTS
  value: {{ include "send.councilContacts" $root | quote }}
{{- end }}
{{- if $events }}
- name: PUBLIC_DOCS
  value: {{ $v.publicDocs | quote }}
{{- end }}
- name: LOG_LEVEL
  value: {{ $v.logLevel | quote }}
- name: LOG_FORMAT
  value: json
- name: TRUSTED_PROXIES
  value: {{ include "send.trustedProxies" . | quote }}
- name: RATE_LIMIT_POST
  value: {{ $v.rateLimit.post | quote }}
- name: RATE_LIMIT_FAMILY
  value: {{ $v.rateLimit.family | quote }}
- name: RATE_LIMIT_STORAGE
  value: {{ $v.rateLimit.storage | quote }}
- name: HTTP_IN_FLIGHT
  value: {{ $v.httpInFlight | quote }}
- name: DB_POOL_MAX_SIZE
  value: {{ $v.databasePool.http | quote }}
{{- if $events }}
- name: CONSUMER_DB_POOL_MAX_SIZE
  value: {{ $v.databasePool.pipeline | quote }}
{{- end }}
{{- include "send.proxyEnv" (dict "root" $root) }}
- name: OTEL_SERVICE_NAME
  value: {{ .service | quote }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ printf "service.namespace=%s,deployment.environment=%s" $root.Release.Namespace $root.Release.Name | quote }}
{{- $otlp := include "send.otlpEndpoint" $root }}
{{- if $otlp }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ $otlp | quote }}
- name: OTEL_TRACES_SAMPLER
  value: parentbased_traceidratio
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ $v.tracing.samplingRatio | quote }}
{{- end }}
{{- range $name, $value := $v.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- range $name, $value := $svc.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- range $svc.secretEnv }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .key }}
{{- end }}
{{- end -}}

{{/* The workspace's own settings: where each service's API is (its Service, inside the
cluster), its address, its identity-provider client and session keys (from Secrets), and
each council's contacts for the family's pages */}}
{{- define "send.workspaceEnv" -}}
{{- $root := . -}}
{{- $w := .Values.workspace -}}
{{- range $service, $_ := (include "send.topology" $root | fromJson).services }}
- name: {{ upper $service }}_URL
  value: {{ printf "http://%s" (include "send.serviceName" (dict "root" $root "service" $service)) | quote }}
{{- end }}
- name: PUBLIC_URL
  value: {{ include "send.workspaceUrl" $root | quote }}
- name: OIDC_CLIENT_ID
  value: {{ $w.oidcClientId | quote }}
- name: OIDC_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $w.oidcClientSecret.secretName }}
      key: {{ $w.oidcClientSecret.key }}
- name: SESSION_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ $w.sessionKeys.secretName }}
      key: {{ $w.sessionKeys.key }}
{{- with .Values.councils }}
- name: COUNCIL_CONTACTS
  value: {{ include "send.councilContacts" $root | quote }}
{{- end }}
{{- end -}}

{{/* Pod-level settings every pod of the chart shares */}}
{{- define "send.podSecurity" -}}
automountServiceAccountToken: false
{{ include "send.podSecurityContext" . }}
{{- end -}}

{{/* The pod's security context and pull secrets (the collector's pods, which need their
token, take these alone) */}}
{{- define "send.podSecurityContext" -}}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* NetworkPolicy egress rules (args: peers, ports, what). An empty peers list is refused:
in a NetworkPolicy it would mean every destination. */}}
{{- define "send.egressTo" -}}
{{- if not .peers -}}
{{- fail (printf "networkPolicy: the peers of %s are empty, and an empty list would allow every destination: name the peers or turn networkPolicy.enabled off" (.what | default "a dependency")) -}}
{{- end -}}
- to:
    {{- toYaml .peers | nindent 4 }}
  ports:
    {{- range .ports }}
    - protocol: TCP
      port: {{ . }}
    {{- end }}
{{- end -}}

{{/* DNS: UDP and TCP on each of networkPolicy.dns.ports (53; OpenShift's DNS pods listen on
5353) */}}
{{- define "send.dnsEgress" -}}
- to:
    {{- toYaml .peers | nindent 4 }}
  ports:
    {{- range .ports }}
    - protocol: UDP
      port: {{ . }}
    - protocol: TCP
      port: {{ . }}
    {{- end }}
{{- end -}}

{{/* "true" when the services reach the internet (the identity provider, GOV.UK Notify, an
external OTLP backend) through the council's egress proxy rather than by addresses */}}
{{- define "send.egressProxy" -}}
{{- if .Values.networkPolicy.egressProxy.url -}}true{{- end -}}
{{- end -}}

{{/* HTTPS_PROXY and NO_PROXY for a pod that reaches the internet through the egress proxy
(the services read them: httpx, requests and the OTLP exporter honour them; args: root, and
also: more NO_PROXY entries) */}}
{{- define "send.proxyEnv" -}}
{{- $p := .root.Values.networkPolicy.egressProxy -}}
{{- if $p.url }}
- name: HTTPS_PROXY
  value: {{ $p.url | quote }}
- name: NO_PROXY
  value: {{ concat $p.noProxy (.also | default list) | join "," | quote }}
{{- end }}
{{- end -}}

{{/* "true" when the rate limits' storage is a Redis (the pods must reach it) */}}
{{- define "send.usesRedis" -}}
{{- if regexMatch "^(async\\+)?redis" .Values.rateLimit.storage -}}true{{- end -}}
{{- end -}}

{{/* The egress every service's pods need besides its own data (DNS first): the identity
provider (or the proxy), the OTLP endpoint (or the chart's collector), Redis when the rate
limits use it, and the operator's extra rules (args: root, service) */}}
{{- define "send.commonEgress" -}}
{{- $root := .root -}}
{{- $np := $root.Values.networkPolicy -}}
{{- if include "send.egressProxy" $root }}
{{ include "send.egressTo" (dict "peers" $np.egressProxy.peers "ports" (list $np.egressProxy.port) "what" "networkPolicy.egressProxy") }}
{{- if $np.identityProvider.peers }}
{{ include "send.egressTo" (dict "peers" $np.identityProvider.peers "ports" (list $np.identityProvider.port)) }}
{{- end }}
{{- else }}
{{ include "send.egressTo" (dict "peers" $np.identityProvider.peers "ports" (list $np.identityProvider.port) "what" "networkPolicy.identityProvider (or give networkPolicy.egressProxy)") }}
{{- end }}
{{- if $root.Values.tracing.otlpEndpoint }}
{{- if $np.otlpCollector.peers }}
{{ include "send.egressTo" (dict "peers" $np.otlpCollector.peers "ports" (list $np.otlpCollector.port)) }}
{{- else if not (include "send.egressProxy" $root) }}
{{- fail "tracing.otlpEndpoint is set: name its peers in networkPolicy.otlpCollector.peers (and its port), or give networkPolicy.egressProxy, or the services' spans are dropped" }}
{{- end }}
{{- else if $root.Values.otelCollector.enabled }}
- to:
    - podSelector:
        matchLabels:
          {{- include "send.selectorLabels" (dict "root" $root "service" "otel-collector") | nindent 10 }}
  ports:
    - protocol: TCP
      port: 4318
{{- end }}
{{- if include "send.usesRedis" $root }}
{{ include "send.egressTo" (dict "peers" $np.redis.peers "ports" (list $np.redis.port) "what" "networkPolicy.redis (rateLimit.storage is a Redis)") }}
{{- end }}
{{- with $np.extraEgress }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Scheduling and identity escape hatches of every pod of the chart: node selector,
tolerations, affinity, priority class, pod annotations (args: root, extra annotations) */}}
{{- define "send.podScheduling" -}}
{{- $v := .root.Values -}}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- end -}}

{{/* A hook Job's NetworkPolicy: made before the Jobs on install and upgrade, removed once
they succeed */}}
{{- define "send.hookPolicyAnnotations" -}}
helm.sh/hook: pre-install,pre-upgrade
helm.sh/hook-weight: "-5"
helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
{{- end -}}

{{/* repository:tag, or repository@digest when a digest is given (args: an image value) */}}
{{- define "send.imageRef" -}}
{{- if .digest -}}
{{- printf "%s@%s" .repository .digest -}}
{{- else -}}
{{- printf "%s:%s" .repository .tag -}}
{{- end -}}
{{- end -}}

{{/* A memory quantity (256Mi, 1Gi, 512M) in MiB, rounded down */}}
{{- define "send.mebibytes" -}}
{{- $q := toString . -}}
{{- if hasSuffix "Gi" $q -}}{{ mul (trimSuffix "Gi" $q | int) 1024 }}
{{- else if hasSuffix "Mi" $q -}}{{ trimSuffix "Mi" $q | int }}
{{- else if hasSuffix "G" $q -}}{{ div (mul (trimSuffix "G" $q | int) 1000000000) 1048576 }}
{{- else if hasSuffix "M" $q -}}{{ div (mul (trimSuffix "M" $q | int) 1000000) 1048576 }}
{{- else -}}{{ div ($q | int) 1048576 }}
{{- end -}}
{{- end -}}
