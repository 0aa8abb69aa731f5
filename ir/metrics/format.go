package metrics

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Rules states the counting conventions in one line each; `mconv stats`
// prints them under the totals.
var Rules = []string{
	"params: float constants owned as weights (conv/linear weights and biases, BN gamma/beta, ...); PyTorch parameters() convention",
	"buffers: BatchNorm running mean/var, counted apart (PyTorch buffers)",
	"MACs: multiply-accumulates of Conv, ConvTranspose, Gemm, MatMul (papers' convention; biases not counted)",
	"FLOPs: 2 x MACs + 1 per output element of elementwise ops, activations, normalizations, pooling and reductions (the additions inside pooling windows are not counted)",
	"memory access: activations read + written + constants read per layer, summed; views (Reshape, Flatten, ...) move 0 bytes",
}

// WriteJSON writes one report as indented JSON (keys in Report's field
// order, stable across runs).
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteText writes the totals, the rules and, with perLayer, the layer
// table (Constant nodes left out: they cost nothing).
func WriteText(w io.Writer, r *Report, perLayer bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "model\t%s\n", r.Model)
	for _, in := range r.Inputs {
		fmt.Fprintf(tw, "input\t%s %s%s\n", in.Name, in.DType, shapeString(in.Shape))
	}
	for _, row := range totalRows(r) {
		fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", wn)
	}
	fmt.Fprintln(w, "conventions:")
	for _, s := range Rules {
		fmt.Fprintf(w, "  %s\n", s)
	}
	if !perLayer {
		return nil
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "name\top\toutput shape\tparams\tMACs\tFLOPs\tbytes moved\tFLOP/B\t")
	for _, l := range r.Layers {
		if l.Op == "Constant" {
			continue // no cost; still listed in the JSON
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%.2f\t\n", l.Name, l.Op, shapeString(l.OutputShape), l.Params, l.MACs, l.FLOPs, l.MemoryAccessBytes, l.Intensity)
	}
	return tw.Flush()
}

// totalRows lists (label, value) pairs of the totals.
func totalRows(r *Report) [][2]string {
	var dt []string
	for _, d := range r.ParamsByDType {
		dt = append(dt, fmt.Sprintf("%s %s", d.DType, group(d.Elements)))
	}
	peak := "n/a (no runtime plan)"
	if r.PeakActivationBytes != nil {
		peak = bytesString(*r.PeakActivationBytes) + " (runtime plan)"
	}
	return [][2]string{
		{"params", fmt.Sprintf("%s (%s; %s)", group(r.Params), bytesString(r.ParamBytes), strings.Join(dt, ", "))},
		{"BN buffers", fmt.Sprintf("%s (%s)", group(r.Buffers), bytesString(r.BufferBytes))},
		{"MACs", fmt.Sprintf("%s (%s)", group(r.MACs), SI(r.MACs, ""))},
		{"FLOPs", fmt.Sprintf("%s (%s)", group(r.FLOPs), SI(r.FLOPs, ""))},
		{"memory access", fmt.Sprintf("%s (%d B per float element)", bytesString(r.MemoryAccessBytes), r.BytesPerFloat)},
		{"intensity", fmt.Sprintf("%.2f FLOP/B", r.Intensity)},
		{"peak activations", peak},
	}
}

// WriteCompare writes reports side by side, with each later one's ratio to
// the first.
func WriteCompare(w io.Writer, rs []*Report) error {
	if len(rs) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{""}
	for i, r := range rs {
		head = append(head, r.Model)
		if i > 0 {
			head = append(head, "ratio")
		}
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	type metric struct {
		name string
		get  func(*Report) (int64, bool)
	}
	metrics := []metric{
		{"params", func(r *Report) (int64, bool) { return r.Params, true }},
		{"BN buffers", func(r *Report) (int64, bool) { return r.Buffers, true }},
		{"MACs", func(r *Report) (int64, bool) { return r.MACs, true }},
		{"FLOPs", func(r *Report) (int64, bool) { return r.FLOPs, true }},
		{"memory access B", func(r *Report) (int64, bool) { return r.MemoryAccessBytes, true }},
		{"peak activation B", func(r *Report) (int64, bool) {
			if r.PeakActivationBytes == nil {
				return 0, false
			}
			return *r.PeakActivationBytes, true
		}},
		{"layers", func(r *Report) (int64, bool) { return int64(len(r.Layers)), true }},
	}
	for _, m := range metrics {
		row := []string{m.name}
		base, baseOK := m.get(rs[0])
		for i, r := range rs {
			v, ok := m.get(r)
			if ok {
				row = append(row, group(v))
			} else {
				row = append(row, "n/a")
			}
			if i > 0 {
				if ok && baseOK && base != 0 {
					row = append(row, fmt.Sprintf("%.3f", float64(v)/float64(base)))
				} else {
					row = append(row, "-")
				}
			}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	return tw.Flush()
}

func shapeString(s []int64) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// group writes n with thousands separators: 3,504,872.
func group(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// SI writes a count with a decimal prefix and an optional unit:
// SI(1051900000, "MACs") = "1.05 GMACs", SI(123, "MACs") = "123 MACs",
// SI(2080000, "") = "2.08 M".
func SI(n int64, unit string) string {
	f := float64(n)
	for _, u := range []struct {
		div float64
		sfx string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if f >= u.div {
			return fmt.Sprintf("%.2f %s%s", f/u.div, u.sfx, unit)
		}
	}
	if unit == "" {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%d %s", n, unit)
}

// bytesString writes a byte count in binary units: 13.37 MiB.
func bytesString(n int64) string {
	f := float64(n)
	for _, u := range []struct {
		div float64
		sfx string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if f >= u.div {
			return fmt.Sprintf("%.2f %s", f/u.div, u.sfx)
		}
	}
	return fmt.Sprintf("%d B", n)
}
