{{/* Names, labels and the one Deployment every process of the bus runs in. */}}

{{- define "agency-bus.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "agency-bus.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: agency-bus
{{- end -}}

{{/* The principals and worker roles of bus/security/principals.py (files/principals.json). */}}
{{- define "agency-bus.principals" -}}
{{- .Files.Get "files/principals.json" -}}
{{- end -}}

{{- define "agency-bus.catalogue" -}}
{{- .Values.catalogue | default (.Files.Get "files/agencies.yaml") -}}
{{- end -}}

{{- define "agency-bus.registryUrl" -}}
{{- if .Values.schemaRegistry.url -}}
{{- .Values.schemaRegistry.url -}}
{{- else if .Values.registry.enabled -}}
{{- $scheme := ternary "https" "http" (ne .Values.registry.tlsSecret "") -}}
{{- printf "%s://%s-registry:%d" $scheme (include "agency-bus.fullname" .) (int .Values.registry.port) -}}
{{- else -}}
{{- fail "schemaRegistry.url is required when registry.enabled is false" -}}
{{- end -}}
{{- end -}}

{{/*
The Deployment (or StatefulSet) of one process. Parameters (a dict):
  root       the chart's context
  kind       Deployment (default) or StatefulSet
  name       component name, e.g. worker-router (Deployment, labels, job)
  values     the component's values (replicas, resources)
  principal  the Kafka principal it runs as
  args       the `bus` command line
  port       the port of /healthz, /readyz and /metrics
  portName   that port's name (http or metrics)
  env        more environment (a list of EnvVar)
  envFrom    a Secret name whose keys become environment variables ("" for none)
  mounts     more ConfigMaps to mount: list of {name, configMap, path}
*/}}
{{- define "agency-bus.deployment" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $full := include "agency-bus.fullname" $root -}}
{{- $kind := .kind | default "Deployment" -}}
apiVersion: apps/v1
kind: {{ $kind }}
metadata:
  name: {{ $full }}-{{ .name }}
  labels:
    {{- include "agency-bus.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .name }}
spec:
  replicas: {{ .values.replicas | default 1 }}
  {{- if eq $kind "StatefulSet" }}
  serviceName: {{ $full }}-{{ .name }}
  podManagementPolicy: Parallel
  {{- end }}
  selector:
    matchLabels:
      app.kubernetes.io/instance: {{ $root.Release.Name }}
      app.kubernetes.io/component: {{ .name }}
  template:
    metadata:
      labels:
        {{- include "agency-bus.labels" $root | nindent 8 }}
        app.kubernetes.io/component: {{ .name }}
      annotations:
        checksum/catalogue: {{ include "agency-bus.catalogue" $root | sha256sum }}
    spec:
      {{- with $v.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      automountServiceAccountToken: false
      securityContext:
        {{- toYaml $v.podSecurityContext | nindent 8 }}
      containers:
        - name: bus
          image: "{{ $v.image.repository }}:{{ $v.image.tag | default $root.Chart.AppVersion }}"
          imagePullPolicy: {{ $v.image.pullPolicy }}
          command: ["bus"]
          args:
            {{- toYaml .args | nindent 12 }}
          ports:
            - name: {{ .portName }}
              containerPort: {{ .port }}
          env:
            - name: BUS_BOOTSTRAP_SERVERS
              value: {{ required "kafka.bootstrapServers is required" $v.kafka.bootstrapServers | quote }}
            - name: BUS_SCHEMA_REGISTRY_URL
              value: {{ include "agency-bus.registryUrl" $root | quote }}
            - name: BUS_CATALOGUE
              value: /etc/agency-bus/catalogue/agencies.yaml
            - name: BUS_HOME
              value: /var/lib/agency-bus
            - name: BUS_REGISTRY_TOPIC
              value: {{ $v.registry.topic | quote }}
            - name: BUS_PROCESSING_GUARANTEE
              value: {{ $v.processingGuarantee | quote }}
            - name: BUS_TOPIC_REPLICATION_FACTOR
              value: {{ $v.kafka.topicReplicationFactor | quote }}
            - name: BUS_SECURITY_PROTOCOL
              value: {{ $v.kafka.securityProtocol | quote }}
            {{- if $v.kafka.tls.caSecret }}
            - name: BUS_SSL_CAFILE
              value: /etc/agency-bus/kafka-ca/{{ $v.kafka.tls.caKey }}
            {{- end }}
            {{- with $v.schemaRegistry.credentialsSecret }}
            - name: BUS_SCHEMA_REGISTRY_USER
              valueFrom:
                secretKeyRef: {name: {{ . }}, key: username}
            - name: BUS_SCHEMA_REGISTRY_PASSWORD
              valueFrom:
                secretKeyRef: {name: {{ . }}, key: password}
            {{- end }}
            {{- if hasPrefix "SASL_" $v.kafka.securityProtocol }}
            - name: BUS_SASL_MECHANISM
              value: {{ $v.kafka.saslMechanism | quote }}
            - name: BUS_SASL_USERNAME
              value: {{ .principal | quote }}
            - name: BUS_SASL_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {{ get $v.kafka.secrets .principal | default .principal }}
                  key: {{ $v.kafka.passwordKey }}
            {{- end }}
            - name: PYTHONDONTWRITEBYTECODE
              value: "1"
            - name: PYTHONUNBUFFERED
              value: "1"
            {{- with .env }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- if .envFrom }}
          envFrom:
            - secretRef:
                name: {{ .envFrom }}
          {{- end }}
          startupProbe:
            httpGet: {path: /healthz, port: {{ .portName }}, scheme: {{ .scheme | default "HTTP" }}}
            periodSeconds: 5
            failureThreshold: 60
          livenessProbe:
            httpGet: {path: /healthz, port: {{ .portName }}, scheme: {{ .scheme | default "HTTP" }}}
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          readinessProbe:
            httpGet: {path: /readyz, port: {{ .portName }}, scheme: {{ .scheme | default "HTTP" }}}
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
          resources:
            {{- toYaml .values.resources | nindent 12 }}
          securityContext:
            {{- toYaml $v.securityContext | nindent 12 }}
          volumeMounts:
            - {name: catalogue, mountPath: /etc/agency-bus/catalogue, readOnly: true}
            - {name: data, mountPath: /var/lib/agency-bus}
            - {name: tmp, mountPath: /tmp}
            {{- range .mounts }}
            - {name: {{ .name }}, mountPath: {{ .path }}, readOnly: true}
            {{- end }}
            {{- if $v.kafka.tls.caSecret }}
            - {name: kafka-ca, mountPath: /etc/agency-bus/kafka-ca, readOnly: true}
            {{- end }}
            {{- range .secretMounts }}
            - {name: {{ .name }}, mountPath: {{ .path }}, readOnly: true}
            {{- end }}
      volumes:
        - name: catalogue
          configMap: {name: {{ $full }}-catalogue}
        - name: data
          emptyDir: {}
        - name: tmp
          emptyDir: {medium: Memory, sizeLimit: 64Mi}
        {{- range .mounts }}
        - name: {{ .name }}
          configMap: {name: {{ .configMap }}}
        {{- end }}
        {{- with $v.kafka.tls.caSecret }}
        - name: kafka-ca
          secret: {secretName: {{ . }}}
        {{- end }}
        {{- range .secretMounts }}
        - name: {{ .name }}
          secret: {secretName: {{ .secret }}}
        {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}

{{/* The Service of one process: its HTTP port, and the Prometheus job it is scraped as. */}}
{{- define "agency-bus.service" -}}
{{- $full := include "agency-bus.fullname" .root -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ $full }}-{{ .name }}
  labels:
    {{- include "agency-bus.labels" .root | nindent 4 }}
    app.kubernetes.io/component: {{ .name }}
    agency-bus/job: {{ .job }}
spec:
  type: {{ .type | default "ClusterIP" }}
  {{- if .headless }}
  clusterIP: None
  {{- end }}
  selector:
    app.kubernetes.io/instance: {{ .root.Release.Name }}
    app.kubernetes.io/component: {{ .name }}
  ports:
    - name: {{ .portName }}
      port: {{ .port }}
      targetPort: {{ .portName }}
{{- end -}}
