package kernels

// kernelGo is the pure-Go GEMM micro-kernel (see microKernel).
func kernelGo(k int, a, b, c []float32, ldc, flags int, bias []float32, lo, hi float32) {
	a = a[:k*mr]
	b = b[:k*nr]
	for i := 0; i < mr; i++ {
		for h := 0; h < nr; h += 8 {
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

// dwKernelGo is the pure-Go depthwise row kernel (see dwKernel).
func dwKernelGo(y []float32, rows [][]float32, w []float32, n int, bias float32) {
	y = y[:n]
	for j := range y {
		y[j] = bias
	}
	for t, r := range rows {
		wt := w[t]
		r = r[:n]
		for j, v := range r {
			y[j] += wt * v
		}
	}
}
