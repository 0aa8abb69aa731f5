package engine

// sgemmAcc accumulates C[i, j] += sum_k A[i, k] * B[k, j] for i in [i0, i1)
// and j in [j0, j1), with A row-major (lda), B row-major (ldb) and C
// row-major (ldc). Each C element accumulates over k in ascending order, so
// the result does not depend on how callers tile i and j. This is the plain
// Go reference GEMM; it keeps four rows of C hot and streams rows of B.
func sgemmAcc(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, i0, i1, j0, j1, K int) {
	if j1 <= j0 || i1 <= i0 {
		return
	}
	n := j1 - j0
	i := i0
	for ; i+4 <= i1; i += 4 {
		c0 := c[i*ldc+j0 : i*ldc+j0+n]
		c1 := c[(i+1)*ldc+j0 : (i+1)*ldc+j0+n]
		c2 := c[(i+2)*ldc+j0 : (i+2)*ldc+j0+n]
		c3 := c[(i+3)*ldc+j0 : (i+3)*ldc+j0+n]
		a0 := a[i*lda : i*lda+K]
		a1 := a[(i+1)*lda : (i+1)*lda+K]
		a2 := a[(i+2)*lda : (i+2)*lda+K]
		a3 := a[(i+3)*lda : (i+3)*lda+K]
		for k := 0; k < K; k++ {
			x0, x1, x2, x3 := a0[k], a1[k], a2[k], a3[k]
			br := b[k*ldb+j0 : k*ldb+j0+n]
			br = br[:len(c0)]
			c1 := c1[:len(c0)]
			c2 := c2[:len(c0)]
			c3 := c3[:len(c0)]
			for j, bv := range br {
				c0[j] += x0 * bv
				c1[j] += x1 * bv
				c2[j] += x2 * bv
				c3[j] += x3 * bv
			}
		}
	}
	for ; i < i1; i++ {
		c0 := c[i*ldc+j0 : i*ldc+j0+n]
		a0 := a[i*lda : i*lda+K]
		for k := 0; k < K; k++ {
			x0 := a0[k]
			br := b[k*ldb+j0 : k*ldb+j0+n]
			br = br[:len(c0)]
			for j, bv := range br {
				c0[j] += x0 * bv
			}
		}
	}
}
