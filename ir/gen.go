package ir

// schemas_gen.go is generated from the onnx Python package pinned in
// tools/reference/requirements.txt (the Makefile makes a virtualenv for it;
// MCONV_PYTHON may name an interpreter that already has onnx).
//go:generate make -s -C ../tools/reference schemas
