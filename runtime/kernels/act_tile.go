package kernels

// ActTile applies act in place to the rows x cols block of c whose rows
// start ldc floats apart (c[i*ldc : i*ldc+cols] for i < rows), with the
// bits ApplyAct gives each row: the vector versions (act_tile_amd64.go)
// loop over the rows in one call instead of one ApplyAct call per row,
// which for the short rows of a GEMM tile cost more than the arithmetic.
func ActTile(c []float32, rows, cols, ldc int, act Act, alpha, beta float32) {
	if rows <= 0 || cols <= 0 || act == ActNone {
		return
	}
	_ = c[(rows-1)*ldc+cols-1]
	actTileImpl(c, rows, cols, ldc, act, alpha, beta)
}

// actTileImpl is the implementation in use; actTileRef is its plain Go
// version. The caller has checked the bounds.
var actTileImpl = actTileRef

// actTileRef is ApplyAct on each row.
func actTileRef(c []float32, rows, cols, ldc int, act Act, alpha, beta float32) {
	for i := range rows {
		ApplyAct(c[i*ldc:i*ldc+cols], act, alpha, beta)
	}
}
