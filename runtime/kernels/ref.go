package kernels

// This file holds the plain reference kernels: straightforward loops that
// follow the ONNX definitions and that the fast kernels are tested against.

// RefAct returns act(v) computed directly from the ONNX definition.
func RefAct(v float32, act Act, alpha, beta float32) float32 { return actScalar(v, act, alpha, beta) }

// RefGemm computes C = alpha*op(A)*op(B) + beta*C with plain loops, where
// op(A) is M x K and op(B) is K x N, all row-major with the given leading
// dimensions. When beta is 0, C is not read.
func RefGemm(transA, transB bool, M, N, K int, alpha float32, A []float32, lda int, B []float32, ldb int, beta float32, C []float32, ldc int) {
	for i := 0; i < M; i++ {
		for j := 0; j < N; j++ {
			var s float32
			for k := 0; k < K; k++ {
				var a, b float32
				if transA {
					a = A[k*lda+i]
				} else {
					a = A[i*lda+k]
				}
				if transB {
					b = B[j*ldb+k]
				} else {
					b = B[k*ldb+j]
				}
				s += a * b
			}
			if beta == 0 {
				C[i*ldc+j] = alpha * s
			} else {
				C[i*ldc+j] = alpha*s + beta*C[i*ldc+j]
			}
		}
	}
}

// RefEpilogue applies ep to the M x N matrix C (leading dimension ldc).
func RefEpilogue(M, N int, C []float32, ldc int, ep *Epilogue) {
	for i := 0; i < M; i++ {
		for j := 0; j < N; j++ {
			v := C[i*ldc+j]
			if ep.Bias != nil {
				if ep.BiasPerCol {
					v += ep.Bias[j]
				} else {
					v += ep.Bias[i]
				}
			}
			if ep.ActAfterResidual {
				if ep.Residual != nil {
					v += ep.Residual[i*ldc+j]
				}
				v = actScalar(v, ep.Act, ep.Alpha, ep.Beta)
			} else {
				v = actScalar(v, ep.Act, ep.Alpha, ep.Beta)
				if ep.Residual != nil {
					v += ep.Residual[i*ldc+j]
				}
			}
			C[i*ldc+j] = v
		}
	}
}

// RefConv2D computes the convolution described by p directly from its
// definition: x [N,C,H,W], w [M,C/Group,KH,KW], optional bias [M] and
// residual [N,M,OH,OW], into y [N,M,OH,OW], with p's epilogue.
func RefConv2D(p *ConvParams, x, w, bias, residual, y []float32) {
	cg, mg := p.C/p.Group, p.M/p.Group
	for n := 0; n < p.N; n++ {
		for m := 0; m < p.M; m++ {
			g := m / mg
			for oh := 0; oh < p.OH; oh++ {
				for ow := 0; ow < p.OW; ow++ {
					var s float32
					for c := 0; c < cg; c++ {
						ic := g*cg + c
						for kh := 0; kh < p.KH; kh++ {
							ih := oh*p.SH - p.PadT + kh*p.DH
							if ih < 0 || ih >= p.H {
								continue
							}
							for kw := 0; kw < p.KW; kw++ {
								iw := ow*p.SW - p.PadL + kw*p.DW
								if iw < 0 || iw >= p.W {
									continue
								}
								s += x[((n*p.C+ic)*p.H+ih)*p.W+iw] * w[((m*cg+c)*p.KH+kh)*p.KW+kw]
							}
						}
					}
					if bias != nil {
						s += bias[m]
					}
					o := ((n*p.M+m)*p.OH+oh)*p.OW + ow
					if p.ActAfterResidual {
						if residual != nil {
							s += residual[o]
						}
						s = actScalar(s, p.Act, p.Alpha, p.Beta)
					} else {
						s = actScalar(s, p.Act, p.Alpha, p.Beta)
						if residual != nil {
							s += residual[o]
						}
					}
					y[o] = s
				}
			}
		}
	}
}
