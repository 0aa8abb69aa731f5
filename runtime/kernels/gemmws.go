package kernels

// GemmWorkspace runs single-threaded GEMMs with packing buffers kept from
// call to call, so that once they have grown to the largest problem,
// calls allocate nothing (GemmEpilogue packs into fresh buffers each
// call). Batched products (attention's per-head MatMuls) keep one
// workspace per worker. A workspace serves one call at a time.
type GemmWorkspace struct {
	g   Group
	job gemmJob
}

// Gemm is GemmEpilogue(transA, transB, M, N, K, alpha, A, lda, B, ldb,
// beta, C, ldc, ep, 1) in w: the same operations, so the same results.
func (w *GemmWorkspace) Gemm(transA, transB bool, M, N, K int, alpha float32, A []float32, lda int, B []float32, ldb int, beta float32, C []float32, ldc int, ep *Epilogue) {
	j := &w.job
	if !j.setDense("GemmWorkspace.Gemm", transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, ep) {
		return
	}
	j.parallelRun(1, nil, &w.g)
	j.A, j.dense, j.C, j.ep = nil, denseB{}, nil, Epilogue{} // do not keep the caller's data alive
}
