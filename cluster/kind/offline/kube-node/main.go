// Command kube-node is the kind node image's multi-call Kubernetes binary, built offline from the Go module
// proxy. It dispatches on the name it is called by (argv[0]), so the node image and the control-plane
// images hold one file and symlinks named like the upstream binaries: kubelet, kubeadm, kubectl,
// kube-proxy, kube-apiserver, kube-controller-manager, kube-scheduler and etcd. `kube-node <name> args...`
// works too. It is a sibling of cluster/build/kube with the same requirements (go.mod), so both share
// one module graph and the Go build cache: the second to build only compiles what the first did not.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"go.etcd.io/etcd/server/v3/etcdmain"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	proxy "k8s.io/kubernetes/cmd/kube-proxy/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
	kubeadm "k8s.io/kubernetes/cmd/kubeadm/app"
	kubeadmerrors "k8s.io/kubernetes/cmd/kubeadm/app/util/errors"
	kubelet "k8s.io/kubernetes/cmd/kubelet/app"
)

const names = "kubelet, kubeadm, kubectl, kube-proxy, kube-apiserver, kube-controller-manager, kube-scheduler, etcd"

func main() {
	name := filepath.Base(os.Args[0])
	if name == "kube-node" {
		if len(os.Args) < 2 {
			fmt.Fprintf(os.Stderr, "usage: kube-node <%s> [flags...] (or call it through a symlink of that name)\n", names)
			os.Exit(2)
		}
		// Upstream commands read os.Args themselves: shift so they see their own name first.
		os.Args = os.Args[1:]
		name = filepath.Base(os.Args[0])
	}
	var command *cobra.Command
	switch name {
	case "kubelet":
		command = kubelet.NewKubeletCommand(context.Background())
	case "kube-proxy":
		command = proxy.NewProxyCommand()
	case "kube-apiserver":
		command = apiserver.NewAPIServerCommand()
	case "kube-controller-manager":
		command = controllermanager.NewControllerManagerCommand()
	case "kube-scheduler":
		command = scheduler.NewSchedulerCommand()
	case "kubeadm":
		kubeadmerrors.HandleError(kubeadm.Run())
		return
	case "kubectl":
		if err := cli.RunNoErrOutput(kubectlcmd.NewDefaultKubectlCommand()); err != nil {
			kubectlutil.CheckErr(err)
		}
		return
	case "etcd":
		etcdmain.Main(os.Args)
		return
	default:
		fmt.Fprintf(os.Stderr, "kube-node: called as %q; want one of %s\n", name, names)
		os.Exit(2)
	}
	os.Exit(cli.Run(command))
}
