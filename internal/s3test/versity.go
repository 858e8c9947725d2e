package s3test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// versityInstall installs the versitygw version that these helpers were
// tested with.
const versityInstall = "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// versityStartTimeout bounds the wait for versitygw to respond to its first
// request. It is a limit on waiting, not a timing assertion.
const versityStartTimeout = 60 * time.Second

// versityPortTries is how many free ports StartVersity tries, because another
// process can take the port between the check and versitygw's bind.
const versityPortTries = 3

// StartVersity starts versitygw with the posix backend over a temporary
// folder, listening on 127.0.0.1 at a free port, with a fresh random access
// key and secret, and stops it when the test ends. Unlike the fake, it checks
// request signatures. The returned Server has no fault injection.
//
// It looks for the binary in PATH and then in $(go env GOPATH)/bin. When the
// binary is missing the test is skipped, or fails when CI=true.
func StartVersity(t testing.TB) *Server {
	t.Helper()

	bin, err := findVersity()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("versitygw is required in CI: %v; install it with %s", err, versityInstall)
		}
		t.Skipf("skipping: versitygw not found (%v); install it with %s", err, versityInstall)
	}

	accessKey := randomHex(t, 10)
	secretKey := randomHex(t, 20)
	root := t.TempDir()

	var lastErr error
	for range versityPortTries {
		endpoint, err := startVersityOnce(t, bin, root, accessKey, secretKey)
		if err != nil {
			lastErr = err
			continue
		}

		srv := &Server{
			Endpoint:  endpoint,
			Region:    testRegion,
			AccessKey: accessKey,
			SecretKey: secretKey,
		}
		srv.Client = srv.NewClient(t, accessKey, secretKey)
		return srv
	}
	t.Fatalf("start versitygw %s after %d tries: %v", bin, versityPortTries, lastErr)
	return nil
}

// startVersityOnce starts versitygw on one free port and waits until it
// responds to HTTP. It returns an error, after stopping the process, when
// versitygw exits or does not respond in time.
func startVersityOnce(t testing.TB, bin, root, accessKey, secretKey string) (string, error) {
	t.Helper()

	addr, err := freeLoopbackAddr()
	if err != nil {
		return "", err
	}

	output := &lockedBuffer{}
	cmd := exec.Command(bin, "--port", addr, "--region", testRegion, "--quiet", "posix", root)
	cmd.Env = append(versityEnviron(),
		// The keys go through the environment so that they do not show in
		// the process list.
		"ROOT_ACCESS_KEY_ID="+accessKey,
		"ROOT_SECRET_ACCESS_KEY="+secretKey,
		"AWS_EC2_METADATA_DISABLED=true",
	)
	cmd.Stdout = output
	cmd.Stderr = output

	started := time.Now()
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("run %q: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	endpoint := "http://" + addr
	if err := waitForHTTP(endpoint, exited); err != nil {
		stopProcess(cmd, exited)
		return "", fmt.Errorf("versitygw on %s: %w; output:\n%s", addr, err, output.String())
	}
	t.Logf("versitygw responded on %s %v after start", addr, time.Since(started).Round(time.Millisecond))

	t.Cleanup(func() {
		stopProcess(cmd, exited)
		if t.Failed() {
			t.Logf("versitygw output:\n%s", output.String())
		}
	})
	return endpoint, nil
}

// waitForHTTP polls endpoint until it returns any HTTP response, the process
// exits, or versityStartTimeout passes.
func waitForHTTP(endpoint string, exited <-chan error) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(versityStartTimeout)
	for {
		resp, err := client.Get(endpoint + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}

		select {
		case exitErr := <-exited:
			return fmt.Errorf("exited before responding: %v", exitErr)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no response within %v: %w", versityStartTimeout, err)
		}
	}
}

// stopProcess sends an interrupt, then kills the process if it has not
// exited after five seconds.
func stopProcess(cmd *exec.Cmd, exited <-chan error) {
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
}

// findVersity returns the path of the versitygw binary from PATH, or else
// from the bin folder of GOPATH.
func findVersity() (string, error) {
	if path, err := exec.LookPath("versitygw"); err == nil {
		return path, nil
	}

	gopath, err := goPath()
	if err != nil {
		return "", fmt.Errorf("not in PATH, and GOPATH is unknown: %w", err)
	}
	path := filepath.Join(gopath, "bin", "versitygw")
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("not in PATH nor at %s", path)
	}
	return path, nil
}

// goPath returns the first folder of GOPATH, as `go env GOPATH` prints it.
func goPath() (string, error) {
	if value := os.Getenv("GOPATH"); value != "" {
		return filepath.SplitList(value)[0], nil
	}

	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err == nil && strings.TrimSpace(string(out)) != "" {
		return filepath.SplitList(strings.TrimSpace(string(out)))[0], nil
	}

	home, homeErr := os.UserHomeDir()
	if homeErr != nil {
		return "", errors.Join(err, homeErr)
	}
	return filepath.Join(home, "go"), nil
}

// versityEnviron returns the environment without the variables that
// versitygw reads its settings and root keys from, so that a developer's own
// settings cannot change the test server.
func versityEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "VGW_") || strings.HasPrefix(name, "ROOT_ACCESS_KEY") || strings.HasPrefix(name, "ROOT_SECRET") || name == "LOGFILE" || name == "WEBHOOK" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// freeLoopbackAddr returns a 127.0.0.1 address whose port was free a moment
// ago.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port on 127.0.0.1: %w", err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr, nil
}

func randomHex(t testing.TB, n int) string {
	t.Helper()

	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("generate random key: %v", err)
	}
	return hex.EncodeToString(b)
}

// lockedBuffer collects a process's output from two pipes at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
