package convert

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/flowq/flowq/internal/dataset"
	"github.com/flowq/flowq/internal/sample"
)

// TestCrashHelperProcess is the child process that TestKilledConversionLosesNothing
// and TestCrashAfterManifestNoDuplicates kill.
func TestCrashHelperProcess(t *testing.T) {
	src, out := os.Getenv("FLOWQ_CRASH_SRC"), os.Getenv("FLOWQ_CRASH_OUT")
	if src == "" || out == "" {
		t.Skip("runs only as the child of a crash test")
	}
	switch os.Getenv("FLOWQ_CRASH_MODE") {
	case "die-before-manifest":
		testHookBeforeManifest = func() { _ = syscall.Kill(os.Getpid(), syscall.SIGKILL) }
	case "die-after-manifest":
		testHookAfterManifest = func() { _ = syscall.Kill(os.Getpid(), syscall.SIGKILL) }
	case "slow-before-manifest":
		// Widen the window between the renames and the manifest line.
		testHookBeforeManifest = func() { time.Sleep(20 * time.Millisecond) }
	}
	s, err := NewLocalSource(src)
	if err != nil {
		t.Fatal(err)
	}
	// Small commits, so that kills land between and within many commits.
	if _, err := Run(context.Background(), s, Config{Out: out, Workers: 2, CommitBytes: 128 << 10}); err != nil {
		t.Fatal(err)
	}
}

// TestKilledConversionLosesNothing kills conversions with SIGKILL at random
// moments, then lets one finish, and checks that the dataset holds every
// record exactly once.
func TestKilledConversionLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("kills several child processes")
	}
	archive := t.TempDir()
	opt := sample.DemoOptions()
	opt.Days = 2
	opt.RecordsPerDay = 6000
	truth, err := sample.GenerateToDir(context.Background(), archive, opt)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	kills := 0
	for attempt := 0; attempt < 8; attempt++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelperProcess$")
		mode := "slow-before-manifest"
		wait := time.Duration(50+rng.IntN(600)) * time.Millisecond
		if attempt == 0 {
			// This child must reach its hook, so that one kill surely lands
			// between the pending marker and the manifest line.
			mode, wait = "die-before-manifest", time.Minute
		}
		cmd.Env = append(os.Environ(), "FLOWQ_CRASH_SRC="+archive, "FLOWQ_CRASH_OUT="+out, "FLOWQ_CRASH_MODE="+mode)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if attempt == 0 {
				if err == nil {
					t.Fatal("the child that kills itself before its first manifest line finished")
				}
				checkKilledBeforeManifest(t, out)
				kills++
				continue
			}
			if err != nil {
				t.Fatalf("child failed without being killed: %v", err)
			}
		case <-time.After(wait):
			_ = cmd.Process.Kill()
			<-done
			if attempt == 0 {
				t.Fatal("the child that kills itself before its first manifest line ran for a minute")
			}
			kills++
		}
	}
	if kills == 0 {
		t.Fatal("every child finished before it could be killed; the test checked nothing")
	}

	sum := convertInto(t, out, archive)
	if sum.ObjectsFailed != 0 {
		t.Fatalf("failures after recovery: %+v", sum.Failures)
	}
	checkAgainstTruth(t, openDuck(t, out), truth)

	leftovers, _ := filepath.Glob(filepath.Join(out, "flows", "*", "*", "*", "*", "*.tmp"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left after a complete run: %v", leftovers)
	}
	markers, _ := filepath.Glob(filepath.Join(out, filepath.FromSlash(dataset.PendingDir), "*"))
	if len(markers) != 0 {
		t.Errorf("pending markers left after a complete run: %v", markers)
	}
	t.Logf("%d kills; the last run converted %d objects", kills, sum.ObjectsConverted)
}

// checkKilledBeforeManifest checks that a child killed before its first
// manifest line left what recovery must handle: a pending marker and data
// files in place that no manifest line lists.
func checkKilledBeforeManifest(t *testing.T, out string) {
	t.Helper()
	man, err := loadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if man.commits != 0 {
		t.Fatalf("the manifest has %d commits, want 0", man.commits)
	}
	markers, _ := filepath.Glob(filepath.Join(out, filepath.FromSlash(dataset.PendingDir), "*"))
	if len(markers) != 1 {
		t.Errorf("pending markers %v, want one", markers)
	}
	files, _ := filepath.Glob(filepath.Join(out, "flows", "*", "*", "*", "*", "*.parquet"))
	if len(files) == 0 {
		t.Error("no data file in place; the kill did not land between the renames and the manifest line")
	}
}

// TestManySmallObjectsFewFiles checks that the objects of one partition,
// one per five minutes as AWS writes them, end up in one file per partition.
func TestManySmallObjectsFewFiles(t *testing.T) {
	archive := t.TempDir()
	opt := sample.DemoOptions()
	opt.Days = 1
	opt.RecordsPerDay = 4000
	if _, err := sample.GenerateToDir(context.Background(), archive, opt); err != nil {
		t.Fatal(err)
	}
	out, sum := convertPaths(t, archive)
	dirs, _ := filepath.Glob(filepath.Join(out, "flows", "*", "*", "*", "*"))
	if len(dirs) == 0 || sum.ObjectsConverted < int64(2*len(dirs)) {
		t.Fatalf("%d objects over %d partitions; the test needs several objects per partition", sum.ObjectsConverted, len(dirs))
	}
	for _, d := range dirs {
		files, _ := filepath.Glob(filepath.Join(d, "*.parquet"))
		if len(files) != 1 {
			t.Errorf("%s has %d files, want 1", d, len(files))
		}
	}
}
