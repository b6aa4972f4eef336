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

// The upstream components that are cobra commands, by the name kube is called with; etcd is not one.
var commands = map[string]func() *cobra.Command{
	"apiserver":          apiserver.NewAPIServerCommand,
	"controller-manager": controllermanager.NewControllerManagerCommand,
	// NewSchedulerCommand takes optional out-of-tree plugin registries; the lab uses none.
	"scheduler": func() *cobra.Command { return scheduler.NewSchedulerCommand() },
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: kube <apiserver|controller-manager|scheduler|etcd> [flags...]")
		os.Exit(2)
	}
	component, rest := os.Args[1], os.Args[2:]
	if component == "etcd" {
		// etcdmain parses os.Args itself, with the program name first.
		etcdmain.Main(append([]string{"etcd"}, rest...))
		return
	}
	newCommand, ok := commands[component]
	if !ok {
		fmt.Fprintf(os.Stderr, "kube: unknown component %q (want apiserver, controller-manager, scheduler or etcd)\n", component)
		os.Exit(2)
	}
	command := newCommand()
	command.SetArgs(rest)
	os.Exit(cli.Run(command))
}
