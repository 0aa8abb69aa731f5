package coreml

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	"github.com/mconv/mconv/coreml/pb"
	"github.com/mconv/mconv/internal/atomicfile"
	"github.com/mconv/mconv/ir"
)

// Paths inside an .mlpackage.
const (
	manifestName = "Manifest.json"
	specRelPath  = "Data/com.apple.CoreML/model.mlmodel"
	weightsRel   = "Data/com.apple.CoreML/weights/weight.bin"
)

func marshal(spec *pb.Model) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(spec)
}

// uuidFrom derives a stable UUID-formatted identifier from data and a label.
func uuidFrom(label string, data []byte) string {
	h := sha256.New()
	h.Write([]byte(label))
	h.Write(data)
	s := h.Sum(nil)
	s[6] = s[6]&0x0f | 0x40
	s[8] = s[8]&0x3f | 0x80
	return fmt.Sprintf("%X-%X-%X-%X-%X", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

type manifestItem struct {
	Author      string `json:"author"`
	Description string `json:"description"`
	Name        string `json:"name"`
	Path        string `json:"path"`
}

type manifest struct {
	FileFormatVersion   string                  `json:"fileFormatVersion"`
	ItemInfoEntries     map[string]manifestItem `json:"itemInfoEntries"`
	RootModelIdentifier string                  `json:"rootModelIdentifier"`
}

// WritePackage writes p as an .mlpackage directory at path. It builds the
// package in a temporary directory next to path and renames it into place,
// so a failure leaves nothing behind; an existing package at path is
// replaced only after the new one is complete.
func WritePackage(p *Package, path string) error {
	data, err := marshal(p.Spec)
	if err != nil {
		return fmt.Errorf("encoding Core ML spec: %w", err)
	}
	if st, err := os.Stat(path); err == nil {
		if !st.IsDir() {
			return fmt.Errorf("%s exists and is not an .mlpackage directory", path)
		}
		if _, err := os.Stat(filepath.Join(path, manifestName)); err != nil {
			return fmt.Errorf("%s exists and is not an .mlpackage (no %s); not replacing it", path, manifestName)
		}
	}
	tmp, err := atomicfile.TempDir(path)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	specID, wID := uuidFrom("spec", data), uuidFrom("weights", p.Weights)
	mf := manifest{
		FileFormatVersion: "1.0.0",
		ItemInfoEntries: map[string]manifestItem{
			specID: {Author: "com.apple.CoreML", Description: "CoreML Model Specification", Name: "model.mlmodel", Path: "com.apple.CoreML/model.mlmodel"},
			wID:    {Author: "com.apple.CoreML", Description: "CoreML Model Weights", Name: "weights", Path: "com.apple.CoreML/weights"},
		},
		RootModelIdentifier: specID,
	}
	mj, err := json.MarshalIndent(mf, "", "    ")
	if err != nil {
		return err
	}
	files := []struct {
		rel  string
		data []byte
	}{{manifestName, mj}, {specRelPath, data}, {weightsRel, p.Weights}}
	for _, f := range files {
		full := filepath.Join(tmp, f.rel)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := atomicfile.WriteIn(full, f.data); err != nil {
			return err
		}
	}
	if err := atomicfile.ReplaceDir(tmp, path); err != nil {
		return err
	}
	ok = true
	return nil
}

// WriteModelFile writes a spec as a single .mlmodel file
// (atomicfile.WriteFile).
func WriteModelFile(spec *pb.Model, path string) error {
	data, err := marshal(spec)
	if err != nil {
		return fmt.Errorf("encoding Core ML spec: %w", err)
	}
	return atomicfile.WriteFile(path, data)
}

// ReadPackage reads an .mlpackage written by WritePackage (or any package
// with the standard layout): the spec and the weight file (nil if absent).
func ReadPackage(path string) (*pb.Model, []byte, error) {
	data, err := os.ReadFile(filepath.Join(path, specRelPath))
	if err != nil {
		return nil, nil, err
	}
	spec := &pb.Model{}
	if err := proto.Unmarshal(data, spec); err != nil {
		return nil, nil, fmt.Errorf("%s: decoding Core ML spec: %w", path, err)
	}
	w, err := os.ReadFile(filepath.Join(path, weightsRel))
	if err != nil && !os.IsNotExist(err) {
		return nil, nil, err
	}
	return spec, w, nil
}

// ReadModelFile reads a single-file .mlmodel spec.
func ReadModelFile(path string) (*pb.Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	spec := &pb.Model{}
	if err := proto.Unmarshal(data, spec); err != nil {
		return nil, fmt.Errorf("%s: decoding Core ML spec: %w", path, err)
	}
	return spec, nil
}

// Load reads a Core ML model written by mconv, an .mlpackage directory (ML
// Program) or an .mlmodel file (NeuralNetwork), back into IR.
func Load(path string, opt ReadOptions) (*ir.Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		spec, w, err := ReadPackage(path)
		if err != nil {
			return nil, err
		}
		m, err := ProgramToIR(spec, w, opt)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return m, nil
	}
	spec, err := ReadModelFile(path)
	if err != nil {
		return nil, err
	}
	var m *ir.Model
	switch {
	case spec.GetNeuralNetwork() != nil:
		m, err = NeuralNetworkToIR(spec, opt)
	case spec.GetMlProgram() != nil:
		err = fmt.Errorf("an ML Program needs its weights: give the .mlpackage directory")
	default:
		err = fmt.Errorf("not a NeuralNetwork or ML Program model")
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
