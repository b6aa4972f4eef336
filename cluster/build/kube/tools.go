//go:build tools

// Keeps the Argo Rollouts controller (a main package, built as its own binary from this module so it
// shares the control plane's Kubernetes libraries and build cache) in the module graph.
package main

import _ "github.com/argoproj/argo-rollouts/cmd/rollouts-controller"
