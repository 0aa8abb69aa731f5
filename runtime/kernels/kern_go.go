package kernels

// kernelGo is the pure-Go GEMM micro-kernel (see microKernel).
func kernelGo(k int, a, b, c []float32, ldc, flags int, bias []float32, lo, hi float32) {
	kernelGoCols(k, a, b, c, ldc, flags, bias, lo, hi, nr)
}

// kernelGo8 is kernelGo for the first 8 columns of the tile.
func kernelGo8(k int, a, b, c []float32, ldc, flags int, bias []float32, lo, hi float32) {
	kernelGoCols(k, a, b, c, ldc, flags, bias, lo, hi, 8)
}

func kernelGoCols(k int, a, b, c []float32, ldc, flags int, bias []float32, lo, hi float32, cols int) {
	a = a[:k*mr]
	b = b[:k*nr]
	for i := 0; i < mr; i++ {
		for h := 0; h < cols; h += 8 {
			var c0, c1, c2, c3, c4, c5, c6, c7 float32
			for p := 0; p < k; p++ {
				ai := a[p*mr+i]
				bp := b[p*nr+h : p*nr+h+8 : p*nr+h+8]
				c0 += ai * bp[0]
				c1 += ai * bp[1]
				c2 += ai * bp[2]
				c3 += ai * bp[3]
				c4 += ai * bp[4]
				c5 += ai * bp[5]
				c6 += ai * bp[6]
				c7 += ai * bp[7]
			}
			row := c[i*ldc+h : i*ldc+h+8 : i*ldc+h+8]
			v := [8]float32{c0, c1, c2, c3, c4, c5, c6, c7}
			for q := range v {
				x := v[q]
				if flags&flagAcc != 0 {
					x = row[q] + x
				}
				if flags&flagBias != 0 {
					x += bias[i]
				}
				if flags&flagClamp != 0 {
					x = clamp(x, lo, hi)
				}
				row[q] = x
			}
		}
	}
}

// dwKernelGo is the pure-Go depthwise plane kernel (see dwKernel).
func dwKernelGo(y, x []float32, offs []int, w []float32, n, rows, inStride, outStride int, bias float32) {
	checkDWPlane(y, x, offs, w, n, rows, inStride, outStride)
	for r := 0; r < rows; r++ {
		yr := y[r*outStride : r*outStride+n]
		for j := range yr {
			yr[j] = bias
		}
		for t, off := range offs {
			wt := w[t]
			xr := x[r*inStride+off : r*inStride+off+n]
			for j, v := range xr {
				yr[j] += wt * v
			}
		}
	}
}

// checkDWPlane checks that every access of a depthwise plane kernel is in
// bounds.
func checkDWPlane(y, x []float32, offs []int, w []float32, n, rows, inStride, outStride int) {
	if len(w) < len(offs) || len(offs) == 0 {
		panic("kernels: depthwise taps and weights disagree")
	}
	maxOff := 0
	for _, o := range offs {
		if o < 0 {
			panic("kernels: negative depthwise tap offset")
		}
		maxOff = max(maxOff, o)
	}
	if (rows-1)*inStride+maxOff+roundUp(n, 8) > len(x) || (rows-1)*outStride+n > len(y) {
		panic("kernels: depthwise plane out of bounds")
	}
}
