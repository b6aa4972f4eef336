// Command kube is the sim lab's multi-call binary: one link instead of four for the upstream
// control plane (kube-apiserver, kube-controller-manager, kube-scheduler) and etcd.
// Usage: kube <apiserver|controller-manager|scheduler|etcd> [upstream flags...]
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"go.etcd.io/etcd/server/v3/etcdmain"
	"k8s.io/component-base/cli"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: kube <apiserver|controller-manager|scheduler|etcd> [flags...]")
		os.Exit(2)
	}
	component, rest := os.Args[1], os.Args[2:]
	var command *cobra.Command
	switch component {
	case "apiserver":
		command = apiserver.NewAPIServerCommand()
	case "controller-manager":
		command = controllermanager.NewControllerManagerCommand()
	case "scheduler":
		command = scheduler.NewSchedulerCommand()
	case "etcd":
		// etcdmain parses os.Args itself, with the program name first.
		etcdmain.Main(append([]string{"etcd"}, rest...))
		return
	default:
		fmt.Fprintf(os.Stderr, "kube: unknown component %q (want apiserver, controller-manager, scheduler or etcd)\n", component)
		os.Exit(2)
	}
	command.SetArgs(rest)
	os.Exit(cli.Run(command))
}
