// A small CNI runtime on Debian's libcni, for netledger-cni's tests: it drives one command
// through libcni exactly as a runtime would (its result cache included), and prints what libcni
// returned. Built offline at test time: GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off go build.
//
// usage: libcniclient ADD|CHECK|DEL PLUGIN_DIR CACHE_DIR CONFLIST CONTAINER_ID NETNS IFNAME [K=V;K=V]
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/containernetworking/cni/libcni"
)

func fail(err error) {
	// libcni gives the plugin's error object back as a *types.Error: print it as JSON.
	out, _ := json.Marshal(err)
	if string(out) == "{}" {
		out, _ = json.Marshal(map[string]string{"msg": err.Error()})
	}
	fmt.Println(string(out))
	os.Exit(1)
}

func main() {
	if len(os.Args) < 8 {
		fmt.Fprintln(os.Stderr, "usage: libcniclient ADD|CHECK|DEL PLUGIN_DIR CACHE_DIR CONFLIST CONTAINER_ID NETNS IFNAME [K=V;K=V]")
		os.Exit(2)
	}
	cmd, pluginDir, cacheDir, confPath := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	rt := &libcni.RuntimeConf{ContainerID: os.Args[5], NetNS: os.Args[6], IfName: os.Args[7]}
	if len(os.Args) > 8 && os.Args[8] != "" {
		for _, kv := range strings.Split(os.Args[8], ";") {
			parts := strings.SplitN(kv, "=", 2)
			if len(parts) == 2 {
				rt.Args = append(rt.Args, [2]string{parts[0], parts[1]})
			}
		}
	}
	list, err := libcni.ConfListFromFile(confPath)
	if err != nil {
		fail(err)
	}
	cni := libcni.NewCNIConfigWithCacheDir([]string{pluginDir}, cacheDir, nil)
	ctx := context.Background()
	switch cmd {
	case "ADD":
		res, err := cni.AddNetworkList(ctx, list, rt)
		if err != nil {
			fail(err)
		}
		out, _ := json.Marshal(res)
		fmt.Println(string(out))
	case "CHECK":
		if err := cni.CheckNetworkList(ctx, list, rt); err != nil {
			fail(err)
		}
		fmt.Println("{}")
	case "DEL":
		if err := cni.DelNetworkList(ctx, list, rt); err != nil {
			fail(err)
		}
		fmt.Println("{}")
	default:
		fmt.Fprintln(os.Stderr, "unknown command "+cmd)
		os.Exit(2)
	}
}
