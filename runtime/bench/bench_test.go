package bench

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/ir/metrics"
)

func ms(v ...float64) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, f := range v {
		out[i] = time.Duration(f * float64(time.Millisecond))
	}
	return out
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name string
		in   []time.Duration
		want Stats
	}{
		{"empty", nil, Stats{}},
		{"one", ms(2), Stats{Runs: 1, MedianMS: 2, P90MS: 2, MinMS: 2, MaxMS: 2, MeanMS: 2}},
		// sorted 1 2 3 4: median (2+3)/2, p90 = ceil(3.6) = 4th.
		{"even", ms(4, 1, 3, 2), Stats{Runs: 4, MedianMS: 2.5, P90MS: 4, MinMS: 1, MaxMS: 4, MeanMS: 2.5}},
		// 1..10: median 5.5, p90 = 9th = 9, mean 5.5.
		{"ten", ms(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), Stats{Runs: 10, MedianMS: 5.5, P90MS: 9, MinMS: 1, MaxMS: 10, MeanMS: 5.5}},
		// odd: 1 5 100 -> median 5, p90 = ceil(2.7) = 3rd.
		{"odd", ms(100, 1, 5), Stats{Runs: 3, MedianMS: 5, P90MS: 100, MinMS: 1, MaxMS: 100, MeanMS: 106.0 / 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Summarize(tc.in)
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// fake sleeps for its delay and records the call order.
type fake struct {
	name  string
	delay time.Duration
	log   *[]string
	fail  int // fail on this call number (1-based); 0 never
	calls int
}

func (f *fake) Run(map[string]*ir.Tensor) (map[string]*ir.Tensor, error) {
	f.calls++
	if f.log != nil {
		*f.log = append(*f.log, f.name)
	}
	if f.calls == f.fail {
		return nil, errors.New("boom")
	}
	time.Sleep(f.delay)
	return nil, nil
}

func TestAlternateOrderAndRatio(t *testing.T) {
	var log []string
	a := &fake{name: "A", delay: 4 * time.Millisecond, log: &log}
	b := &fake{name: "B", delay: 1 * time.Millisecond, log: &log}
	st, err := Alternate([]Runner{a, b}, []map[string]*ir.Tensor{nil, nil}, Options{Runs: 6, Warmup: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(log, ""); got != "ABABABABABABAB" {
		t.Errorf("call order %s, want A B alternating (1 warm-up + 6 runs)", got)
	}
	if st[0].Runs != 6 || st[1].Runs != 6 {
		t.Errorf("runs %d %d", st[0].Runs, st[1].Runs)
	}
	// Sleep never returns early: A's median is at least 4 ms and A is
	// slower than B.
	if st[0].MinMS < 4 || st[0].MedianMS <= st[1].MedianMS {
		t.Errorf("A %+v B %+v", st[0], st[1])
	}
}

func TestMeasureErrorsAndProgress(t *testing.T) {
	if _, _, err := Measure(&fake{fail: 3}, nil, Options{Runs: 5, Warmup: 1}); err == nil || !strings.Contains(err.Error(), "run 2: boom") {
		t.Errorf("err = %v", err)
	}
	if _, _, err := Measure(&fake{fail: 1}, nil, Options{Runs: 5, Warmup: 1}); err == nil || !strings.Contains(err.Error(), "warm-up") {
		t.Errorf("err = %v", err)
	}
	var p bytes.Buffer
	st, ds, err := Measure(&fake{}, nil, Options{Runs: 3, Warmup: -1, Progress: &p, Label: "m"})
	if err != nil || st.Runs != 3 || len(ds) != 3 {
		t.Fatalf("%+v %v", st, err)
	}
	if !strings.Contains(p.String(), "m run 3/3") || !strings.HasSuffix(p.String(), "\n") {
		t.Errorf("progress %q", p.String())
	}
	if _, err := Alternate([]Runner{&fake{}}, nil, Options{}); err == nil {
		t.Error("mismatched inputs accepted")
	}
}

func TestParseVmHWM(t *testing.T) {
	got, err := parseVmHWM(strings.NewReader("Name:\tx\nVmPeak:\t  999 kB\nVmHWM:\t   12345 kB\nVmRSS:\t 1 kB\n"))
	if err != nil || got != 12345*1024 {
		t.Errorf("got %d, %v", got, err)
	}
	if _, err := parseVmHWM(strings.NewReader("VmRSS: 1 kB\n")); err == nil {
		t.Error("missing line accepted")
	}
	if _, err := parseVmHWM(strings.NewReader("VmHWM: x kB\n")); err == nil {
		t.Error("bad number accepted")
	}
	// On Linux the real file works and the process uses some memory.
	if n, err := PeakRSS(); err == nil && n <= 0 {
		t.Errorf("PeakRSS = %d", n)
	}
}

func TestJoinProfile(t *testing.T) {
	layers := []metrics.Layer{
		{Name: "conv", Op: "Conv", MACs: 100, FLOPs: 200},
		{Name: "relu", Op: "Relu", FLOPs: 10},
		{Name: "fc", Op: "Gemm", MACs: 5, FLOPs: 10},
	}
	runs := [][]NodeTime{
		{{"conv", "Conv", 3 * time.Millisecond}, {"fc", "Gemm", time.Millisecond}, {"copy_1", "Copy", time.Millisecond}},
		{{"conv", "Conv", 1 * time.Millisecond}, {"fc", "Gemm", time.Millisecond}, {"copy_1", "Copy", time.Millisecond}},
		{{"conv", "Conv", 2 * time.Millisecond}, {"fc", "Gemm", 3 * time.Millisecond}, {"copy_1", "Copy", time.Millisecond}},
	}
	got := JoinProfile(runs, layers)
	if len(got) != 4 {
		t.Fatalf("%d rows", len(got))
	}
	if !got[0].Timed || got[0].TimeMS != 2 || got[0].FLOPs != 200 {
		t.Errorf("conv %+v (want median 2 ms)", got[0])
	}
	if got[1].Timed {
		t.Errorf("relu should be untimed (fused): %+v", got[1])
	}
	if got[2].TimeMS != 1 || got[3].Name != "copy_1" || !got[3].Timed {
		t.Errorf("rows %+v", got)
	}
	var buf bytes.Buffer
	if err := WriteProfile(&buf, got); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), " - ") || !strings.Contains(buf.String(), "total") {
		t.Errorf("profile table:\n%s", buf.String())
	}
}

// The SVG must parse as XML, have an svg root in the SVG namespace and one
// circle per timed layer (plus legend dots), and escape names.
func TestWriteSVGIsValid(t *testing.T) {
	lts := []LayerTime{
		{Name: "conv<1>&", Op: "Conv", TimeMS: 0.5, Timed: true, FLOPs: 1e6},
		{Name: "dw", Op: "Conv", TimeMS: 0.7, Timed: true, FLOPs: 5e4},
		{Name: "relu", Op: "Relu", Timed: false, FLOPs: 10},
		{Name: "reshape", Op: "Reshape", TimeMS: 0.001, Timed: true, FLOPs: 0},
	}
	for _, tc := range []struct {
		name string
		in   []LayerTime
		dots int
	}{{"layers", lts, 3 + 2}, {"empty", nil, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSVG(&buf, `model "a" & b`, tc.in); err != nil {
				t.Fatal(err)
			}
			dec := xml.NewDecoder(&buf)
			var root string
			circles := 0
			for {
				tok, err := dec.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("invalid XML: %v", err)
				}
				if se, ok := tok.(xml.StartElement); ok {
					if root == "" {
						root = se.Name.Local
						if se.Name.Space != "http://www.w3.org/2000/svg" {
							t.Errorf("namespace %q", se.Name.Space)
						}
					}
					if se.Name.Local == "circle" {
						circles++
					}
				}
			}
			if root != "svg" {
				t.Errorf("root %q", root)
			}
			if circles != tc.dots {
				t.Errorf("%d circles, want %d", circles, tc.dots)
			}
		})
	}
}
