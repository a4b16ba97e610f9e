package mpa

import "math"

// Scalefactor band boundaries (ISO/IEC 11172-3 Table 3-B.8 and ISO/IEC
// 13818-3 Table B.2; MPEG-2.5 as its reference decoders use it), by
// rateIndex: long blocks in samples, short blocks in samples per window.
//
// At 24 kHz long band 18 ends at 332, as in the standard and in LAME's
// encoder. FFmpeg 5.1 (the build that made the fixtures; newer FFmpeg has 332)
// has 330 there, so its decode of 24 kHz LAME streams is off in bands 17
// and 18 (about 34 dB SNR against this decoder on pink noise): the accuracy
// fixtures use 22.05 kHz for MPEG-2.
var (
	sfbLong = [9][23]int{
		{0, 4, 8, 12, 16, 20, 24, 30, 36, 44, 52, 62, 74, 90, 110, 134, 162, 196, 238, 288, 342, 418, 576},
		{0, 4, 8, 12, 16, 20, 24, 30, 36, 42, 50, 60, 72, 88, 106, 128, 156, 190, 230, 276, 330, 384, 576},
		{0, 4, 8, 12, 16, 20, 24, 30, 36, 44, 54, 66, 82, 102, 126, 156, 194, 240, 296, 364, 448, 550, 576},
		{0, 6, 12, 18, 24, 30, 36, 44, 54, 66, 80, 96, 116, 140, 168, 200, 238, 284, 336, 396, 464, 522, 576},
		{0, 6, 12, 18, 24, 30, 36, 44, 54, 66, 80, 96, 114, 136, 162, 194, 232, 278, 332, 394, 464, 540, 576},
		{0, 6, 12, 18, 24, 30, 36, 44, 54, 66, 80, 96, 116, 140, 168, 200, 238, 284, 336, 396, 464, 522, 576},
		{0, 6, 12, 18, 24, 30, 36, 44, 54, 66, 80, 96, 116, 140, 168, 200, 238, 284, 336, 396, 464, 522, 576},
		{0, 6, 12, 18, 24, 30, 36, 44, 54, 66, 80, 96, 116, 140, 168, 200, 238, 284, 336, 396, 464, 522, 576},
		{0, 12, 24, 36, 48, 60, 72, 88, 108, 132, 160, 192, 232, 280, 336, 400, 476, 566, 568, 570, 572, 574, 576},
	}
	sfbShort = [9][14]int{
		{0, 4, 8, 12, 16, 22, 30, 40, 52, 66, 84, 106, 136, 192},
		{0, 4, 8, 12, 16, 22, 28, 38, 50, 64, 80, 100, 126, 192},
		{0, 4, 8, 12, 16, 22, 30, 42, 58, 78, 104, 138, 180, 192},
		{0, 4, 8, 12, 18, 24, 32, 42, 56, 74, 100, 132, 174, 192},
		{0, 4, 8, 12, 18, 26, 36, 48, 62, 80, 104, 136, 180, 192},
		{0, 4, 8, 12, 18, 26, 36, 48, 62, 80, 104, 134, 174, 192},
		{0, 4, 8, 12, 18, 26, 36, 48, 62, 80, 104, 134, 174, 192},
		{0, 4, 8, 12, 18, 26, 36, 48, 62, 80, 104, 134, 174, 192},
		{0, 8, 16, 24, 36, 52, 72, 96, 124, 160, 162, 164, 166, 192},
	}
)

// pretab is added to the long-block scalefactors when preflag is set
// (ISO/IEC 11172-3 Table 3-B.6).
var pretab = [22]int{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 3, 2, 0}

// slenV1 gives the MPEG-1 scalefactor bit lengths (slen1, slen2) by
// scalefac_compress.
var slenV1 = [16][2]int{
	{0, 0}, {0, 1}, {0, 2}, {0, 3}, {3, 0}, {1, 1}, {1, 2}, {1, 3},
	{2, 1}, {2, 2}, {2, 3}, {3, 1}, {3, 2}, {3, 3}, {4, 2}, {4, 3},
}

// lsfSfbCount is nr_of_sfb of ISO/IEC 13818-3 Table B.1: scalefactors per
// group, by slen table, block kind (long, short, mixed) and group.
var lsfSfbCount = [6][3][4]int{
	{{6, 5, 5, 5}, {9, 9, 9, 9}, {6, 9, 9, 9}},
	{{6, 5, 7, 3}, {9, 9, 12, 6}, {6, 9, 12, 6}},
	{{11, 10, 0, 0}, {18, 18, 0, 0}, {15, 18, 0, 0}},
	{{7, 7, 7, 0}, {12, 12, 12, 0}, {6, 15, 12, 0}},
	{{6, 6, 6, 3}, {12, 9, 9, 6}, {6, 12, 9, 6}},
	{{8, 8, 5, 0}, {15, 12, 9, 0}, {6, 18, 9, 0}},
}

// synthEnwindow is the first half of the synthesis window D of ISO/IEC
// 11172-3 Table 3-B.3, in units of 2^-16 (the table's values are exact
// multiples of that); the second half follows by symmetry.
var synthEnwindow = [257]int32{
	0, -1, -1, -1, -1, -1, -1, -2, -2, -2, -2, -3, -3, -4, -4, -5,
	-5, -6, -7, -7, -8, -9, -10, -11, -13, -14, -16, -17, -19, -21, -24, -26,
	-29, -31, -35, -38, -41, -45, -49, -53, -58, -63, -68, -73, -79, -85, -91, -97,
	-104, -111, -117, -125, -132, -139, -147, -154, -161, -169, -176, -183, -190, -196, -202, -208,
	213, 218, 222, 225, 227, 228, 228, 227, 224, 221, 215, 208, 200, 189, 177, 163,
	146, 127, 106, 83, 57, 29, -2, -36, -72, -111, -153, -197, -244, -294, -347, -401,
	-459, -519, -581, -645, -711, -779, -848, -919, -991, -1064, -1137, -1210, -1283, -1356, -1428, -1498,
	-1567, -1634, -1698, -1759, -1817, -1870, -1919, -1962, -2001, -2032, -2057, -2075, -2085, -2087, -2080, -2063,
	2037, 2000, 1952, 1893, 1822, 1739, 1644, 1535, 1414, 1280, 1131, 970, 794, 605, 402, 185,
	-45, -288, -545, -814, -1095, -1388, -1692, -2006, -2330, -2663, -3004, -3351, -3705, -4063, -4425, -4788,
	-5153, -5517, -5879, -6237, -6589, -6935, -7271, -7597, -7910, -8209, -8491, -8755, -8998, -9219, -9416, -9585,
	-9727, -9838, -9916, -9959, -9966, -9935, -9863, -9750, -9592, -9389, -9139, -8840, -8492, -8092, -7640, -7134,
	6574, 5959, 5288, 4561, 3776, 2935, 2037, 1082, 70, -998, -2122, -3300, -4533, -5818, -7154, -8540,
	-9975, -11455, -12980, -14548, -16155, -17799, -19478, -21189, -22929, -24694, -26482, -28289, -30112, -31947, -33791, -35640,
	-37489, -39336, -41176, -43006, -44821, -46617, -48390, -50137, -51853, -53534, -55178, -56778, -58333, -59838, -61289, -62684,
	-64019, -65290, -66494, -67629, -68692, -69679, -70590, -71420, -72169, -72835, -73415, -73908, -74313, -74630, -74856, -74992,
	75038,
}

// Tables computed from the formulas of the standard.
var (
	// pow43[i] is i^(4/3), for every value the Huffman decoder can yield.
	pow43 [8207]float32
	// pow2q[i] is 2^(i/4) for i in 0..3.
	pow2q [4]float64
	// aliasCS and aliasCA are the alias-reduction butterflies (Table 3-B.9).
	aliasCS, aliasCA [8]float32
	// imdctWin holds the 36-sample windows for block types 0..3; type 2
	// holds the 12-sample short window in its first 12 entries.
	imdctWin [4][36]float32
	// cos36[i][k] = cos(pi/72 * (2i+1+18) * (2k+1)), the long IMDCT.
	cos36 [36][18]float32
	// cos12[i][k] = cos(pi/24 * (2i+1+6) * (2k+1)), the short IMDCT.
	cos12 [12][6]float32
	// synthWin is the synthesis window D, 512 coefficients.
	synthWin [512]float32
	// isRatioV1 holds the MPEG-1 intensity stereo factors (left, right) for
	// is_pos 0..6.
	isRatioV1 [7][2]float32
	// isRatioLSF holds the MPEG-2 intensity stereo factors by
	// intensity_scale and is_pos.
	isRatioLSF [2][32][2]float32
)

func init() {
	for i := range pow43 {
		pow43[i] = float32(math.Pow(float64(i), 4.0/3))
	}
	for i := range pow2q {
		pow2q[i] = math.Pow(2, float64(i)/4)
	}
	ci := [8]float64{-0.6, -0.535, -0.33, -0.185, -0.095, -0.041, -0.0142, -0.0037}
	for i, c := range ci {
		sq := math.Sqrt(1 + c*c)
		aliasCS[i] = float32(1 / sq)
		aliasCA[i] = float32(c / sq)
	}
	for i := range 36 {
		imdctWin[0][i] = float32(math.Sin(math.Pi / 36 * (float64(i) + 0.5)))
	}
	for i := range 18 {
		imdctWin[1][i] = imdctWin[0][i]
		imdctWin[3][i+18] = imdctWin[0][i+18]
	}
	for i := 18; i < 24; i++ {
		imdctWin[1][i] = 1
	}
	for i := 24; i < 30; i++ {
		imdctWin[1][i] = float32(math.Sin(math.Pi / 12 * (float64(i-18) + 0.5)))
	}
	for i := 6; i < 12; i++ {
		imdctWin[3][i] = float32(math.Sin(math.Pi / 12 * (float64(i-6) + 0.5)))
	}
	for i := 12; i < 18; i++ {
		imdctWin[3][i] = 1
	}
	for i := range 12 {
		imdctWin[2][i] = float32(math.Sin(math.Pi / 12 * (float64(i) + 0.5)))
	}
	for i := range 36 {
		for k := range 18 {
			cos36[i][k] = float32(math.Cos(math.Pi / 72 * float64((2*i+1+18)*(2*k+1))))
		}
	}
	for i := range 12 {
		for k := range 6 {
			cos12[i][k] = float32(math.Cos(math.Pi / 24 * float64((2*i+1+6)*(2*k+1))))
		}
	}
	for i, v := range synthEnwindow {
		f := float32(v) / 65536
		synthWin[i] = f
		if i != 0 {
			if i&63 != 0 {
				f = -f
			}
			synthWin[512-i] = f
		}
	}
	for i := range 7 {
		if i == 6 {
			isRatioV1[i] = [2]float32{1, 0}
			continue
		}
		t := math.Tan(float64(i) * math.Pi / 12)
		isRatioV1[i] = [2]float32{float32(t / (1 + t)), float32(1 / (1 + t))}
	}
	for scale := range 2 {
		for pos := range 32 {
			f := float32(math.Pow(2, -float64(scale+1)*float64((pos+1)>>1)/4))
			if pos&1 == 1 {
				isRatioLSF[scale][pos] = [2]float32{f, 1}
			} else {
				isRatioLSF[scale][pos] = [2]float32{1, f}
			}
		}
	}
	initDCT()
	initHuffman()
}
