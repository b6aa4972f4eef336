//go:build tools

// Keeps the Argo Rollouts controller in the module graph: the same requirements as cluster/build/kube,
// so MVS selects the same versions and the Go build cache is shared.
package main

import _ "github.com/argoproj/argo-rollouts/cmd/rollouts-controller"
