// Command flowq converts VPC flow-log archives into a Parquet dataset and
// investigates them with SQL, detection packs and reports.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(execute(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// execute runs the command line and returns the process's exit status.
func execute(ctx context.Context, args []string, stdout, stderr *os.File) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	code := exitCode(err)
	if err != nil && code != exitOK {
		msg := err.Error()
		if !isSilent(err) {
			fmt.Fprintln(stderr, "flowq: "+msg)
		}
	}
	return code
}
