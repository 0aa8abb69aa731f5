//go:build amd64 && !purego

#include "textflag.h"

// The constants are written out as a table (maintained by hand); each
// constant is 8 copies (32 bytes) so that it can be a memory operand of a
// VEX instruction.
// Exponential: a = n*ln2 + r (Cephes reduction, C1 + C2 = ln2), e^r by
// the Cephes expf polynomial, times 2^(n-1) * 2 so that n may reach 128.

DATA expK<>+0(SB)/4, $0x3f800000 // ONE 1.0
DATA expK<>+4(SB)/4, $0x3f800000
DATA expK<>+8(SB)/4, $0x3f800000
DATA expK<>+12(SB)/4, $0x3f800000
DATA expK<>+16(SB)/4, $0x3f800000
DATA expK<>+20(SB)/4, $0x3f800000
DATA expK<>+24(SB)/4, $0x3f800000
DATA expK<>+28(SB)/4, $0x3f800000
DATA expK<>+32(SB)/4, $0xc2ac0000 // AMIN -86.0
DATA expK<>+36(SB)/4, $0xc2ac0000
DATA expK<>+40(SB)/4, $0xc2ac0000
DATA expK<>+44(SB)/4, $0xc2ac0000
DATA expK<>+48(SB)/4, $0xc2ac0000
DATA expK<>+52(SB)/4, $0xc2ac0000
DATA expK<>+56(SB)/4, $0xc2ac0000
DATA expK<>+60(SB)/4, $0xc2ac0000
DATA expK<>+64(SB)/4, $0x42b17218 // AMAX 88.72283935546875
DATA expK<>+68(SB)/4, $0x42b17218
DATA expK<>+72(SB)/4, $0x42b17218
DATA expK<>+76(SB)/4, $0x42b17218
DATA expK<>+80(SB)/4, $0x42b17218
DATA expK<>+84(SB)/4, $0x42b17218
DATA expK<>+88(SB)/4, $0x42b17218
DATA expK<>+92(SB)/4, $0x42b17218
DATA expK<>+96(SB)/4, $0x3fb8aa3b // LOG2E 1.4426950408889634
DATA expK<>+100(SB)/4, $0x3fb8aa3b
DATA expK<>+104(SB)/4, $0x3fb8aa3b
DATA expK<>+108(SB)/4, $0x3fb8aa3b
DATA expK<>+112(SB)/4, $0x3fb8aa3b
DATA expK<>+116(SB)/4, $0x3fb8aa3b
DATA expK<>+120(SB)/4, $0x3fb8aa3b
DATA expK<>+124(SB)/4, $0x3fb8aa3b
DATA expK<>+128(SB)/4, $0x3f318000 // C1 0.693359375
DATA expK<>+132(SB)/4, $0x3f318000
DATA expK<>+136(SB)/4, $0x3f318000
DATA expK<>+140(SB)/4, $0x3f318000
DATA expK<>+144(SB)/4, $0x3f318000
DATA expK<>+148(SB)/4, $0x3f318000
DATA expK<>+152(SB)/4, $0x3f318000
DATA expK<>+156(SB)/4, $0x3f318000
DATA expK<>+160(SB)/4, $0xb95e8083 // C2 -0.00021219444
DATA expK<>+164(SB)/4, $0xb95e8083
DATA expK<>+168(SB)/4, $0xb95e8083
DATA expK<>+172(SB)/4, $0xb95e8083
DATA expK<>+176(SB)/4, $0xb95e8083
DATA expK<>+180(SB)/4, $0xb95e8083
DATA expK<>+184(SB)/4, $0xb95e8083
DATA expK<>+188(SB)/4, $0xb95e8083
DATA expK<>+192(SB)/4, $0x39506967 // E5 0.000198756915
DATA expK<>+196(SB)/4, $0x39506967
DATA expK<>+200(SB)/4, $0x39506967
DATA expK<>+204(SB)/4, $0x39506967
DATA expK<>+208(SB)/4, $0x39506967
DATA expK<>+212(SB)/4, $0x39506967
DATA expK<>+216(SB)/4, $0x39506967
DATA expK<>+220(SB)/4, $0x39506967
DATA expK<>+224(SB)/4, $0x3ab743ce // E4 0.0013981999507
DATA expK<>+228(SB)/4, $0x3ab743ce
DATA expK<>+232(SB)/4, $0x3ab743ce
DATA expK<>+236(SB)/4, $0x3ab743ce
DATA expK<>+240(SB)/4, $0x3ab743ce
DATA expK<>+244(SB)/4, $0x3ab743ce
DATA expK<>+248(SB)/4, $0x3ab743ce
DATA expK<>+252(SB)/4, $0x3ab743ce
DATA expK<>+256(SB)/4, $0x3c088908 // E3 0.0083334519073
DATA expK<>+260(SB)/4, $0x3c088908
DATA expK<>+264(SB)/4, $0x3c088908
DATA expK<>+268(SB)/4, $0x3c088908
DATA expK<>+272(SB)/4, $0x3c088908
DATA expK<>+276(SB)/4, $0x3c088908
DATA expK<>+280(SB)/4, $0x3c088908
DATA expK<>+284(SB)/4, $0x3c088908
DATA expK<>+288(SB)/4, $0x3d2aa9c1 // E2 0.041665795894
DATA expK<>+292(SB)/4, $0x3d2aa9c1
DATA expK<>+296(SB)/4, $0x3d2aa9c1
DATA expK<>+300(SB)/4, $0x3d2aa9c1
DATA expK<>+304(SB)/4, $0x3d2aa9c1
DATA expK<>+308(SB)/4, $0x3d2aa9c1
DATA expK<>+312(SB)/4, $0x3d2aa9c1
DATA expK<>+316(SB)/4, $0x3d2aa9c1
DATA expK<>+320(SB)/4, $0x3e2aaaaa // E1 0.16666665459
DATA expK<>+324(SB)/4, $0x3e2aaaaa
DATA expK<>+328(SB)/4, $0x3e2aaaaa
DATA expK<>+332(SB)/4, $0x3e2aaaaa
DATA expK<>+336(SB)/4, $0x3e2aaaaa
DATA expK<>+340(SB)/4, $0x3e2aaaaa
DATA expK<>+344(SB)/4, $0x3e2aaaaa
DATA expK<>+348(SB)/4, $0x3e2aaaaa
DATA expK<>+352(SB)/4, $0x3f000000 // E0 0.50000001201
DATA expK<>+356(SB)/4, $0x3f000000
DATA expK<>+360(SB)/4, $0x3f000000
DATA expK<>+364(SB)/4, $0x3f000000
DATA expK<>+368(SB)/4, $0x3f000000
DATA expK<>+372(SB)/4, $0x3f000000
DATA expK<>+376(SB)/4, $0x3f000000
DATA expK<>+380(SB)/4, $0x3f000000
DATA expK<>+384(SB)/4, $0x0000007e // I126 0x7e
DATA expK<>+388(SB)/4, $0x0000007e
DATA expK<>+392(SB)/4, $0x0000007e
DATA expK<>+396(SB)/4, $0x0000007e
DATA expK<>+400(SB)/4, $0x0000007e
DATA expK<>+404(SB)/4, $0x0000007e
DATA expK<>+408(SB)/4, $0x0000007e
DATA expK<>+412(SB)/4, $0x0000007e
DATA expK<>+416(SB)/4, $0x7f800000 // INF 0x7f800000
DATA expK<>+420(SB)/4, $0x7f800000
DATA expK<>+424(SB)/4, $0x7f800000
DATA expK<>+428(SB)/4, $0x7f800000
DATA expK<>+432(SB)/4, $0x7f800000
DATA expK<>+436(SB)/4, $0x7f800000
DATA expK<>+440(SB)/4, $0x7f800000
DATA expK<>+444(SB)/4, $0x7f800000
DATA expK<>+448(SB)/4, $0x7fffffff // ABS 0x7fffffff
DATA expK<>+452(SB)/4, $0x7fffffff
DATA expK<>+456(SB)/4, $0x7fffffff
DATA expK<>+460(SB)/4, $0x7fffffff
DATA expK<>+464(SB)/4, $0x7fffffff
DATA expK<>+468(SB)/4, $0x7fffffff
DATA expK<>+472(SB)/4, $0x7fffffff
DATA expK<>+476(SB)/4, $0x7fffffff
DATA expK<>+480(SB)/4, $0x80000000 // SIGN 0x80000000
DATA expK<>+484(SB)/4, $0x80000000
DATA expK<>+488(SB)/4, $0x80000000
DATA expK<>+492(SB)/4, $0x80000000
DATA expK<>+496(SB)/4, $0x80000000
DATA expK<>+500(SB)/4, $0x80000000
DATA expK<>+504(SB)/4, $0x80000000
DATA expK<>+508(SB)/4, $0x80000000
DATA expK<>+512(SB)/4, $0x40000000 // TWO 2.0
DATA expK<>+516(SB)/4, $0x40000000
DATA expK<>+520(SB)/4, $0x40000000
DATA expK<>+524(SB)/4, $0x40000000
DATA expK<>+528(SB)/4, $0x40000000
DATA expK<>+532(SB)/4, $0x40000000
DATA expK<>+536(SB)/4, $0x40000000
DATA expK<>+540(SB)/4, $0x40000000
DATA expK<>+544(SB)/4, $0x42b00000 // T88 88.0
DATA expK<>+548(SB)/4, $0x42b00000
DATA expK<>+552(SB)/4, $0x42b00000
DATA expK<>+556(SB)/4, $0x42b00000
DATA expK<>+560(SB)/4, $0x42b00000
DATA expK<>+564(SB)/4, $0x42b00000
DATA expK<>+568(SB)/4, $0x42b00000
DATA expK<>+572(SB)/4, $0x42b00000
DATA expK<>+576(SB)/4, $0x3f200000 // TSMALL 0.625
DATA expK<>+580(SB)/4, $0x3f200000
DATA expK<>+584(SB)/4, $0x3f200000
DATA expK<>+588(SB)/4, $0x3f200000
DATA expK<>+592(SB)/4, $0x3f200000
DATA expK<>+596(SB)/4, $0x3f200000
DATA expK<>+600(SB)/4, $0x3f200000
DATA expK<>+604(SB)/4, $0x3f200000
DATA expK<>+608(SB)/4, $0xbbbaf0ea // T4 -0.00570498872745
DATA expK<>+612(SB)/4, $0xbbbaf0ea
DATA expK<>+616(SB)/4, $0xbbbaf0ea
DATA expK<>+620(SB)/4, $0xbbbaf0ea
DATA expK<>+624(SB)/4, $0xbbbaf0ea
DATA expK<>+628(SB)/4, $0xbbbaf0ea
DATA expK<>+632(SB)/4, $0xbbbaf0ea
DATA expK<>+636(SB)/4, $0xbbbaf0ea
DATA expK<>+640(SB)/4, $0x3ca9134e // T3 0.0206390887954
DATA expK<>+644(SB)/4, $0x3ca9134e
DATA expK<>+648(SB)/4, $0x3ca9134e
DATA expK<>+652(SB)/4, $0x3ca9134e
DATA expK<>+656(SB)/4, $0x3ca9134e
DATA expK<>+660(SB)/4, $0x3ca9134e
DATA expK<>+664(SB)/4, $0x3ca9134e
DATA expK<>+668(SB)/4, $0x3ca9134e
DATA expK<>+672(SB)/4, $0xbd5c1e2d // T2 -0.0537397155531
DATA expK<>+676(SB)/4, $0xbd5c1e2d
DATA expK<>+680(SB)/4, $0xbd5c1e2d
DATA expK<>+684(SB)/4, $0xbd5c1e2d
DATA expK<>+688(SB)/4, $0xbd5c1e2d
DATA expK<>+692(SB)/4, $0xbd5c1e2d
DATA expK<>+696(SB)/4, $0xbd5c1e2d
DATA expK<>+700(SB)/4, $0xbd5c1e2d
DATA expK<>+704(SB)/4, $0x3e088393 // T1 0.133314422036
DATA expK<>+708(SB)/4, $0x3e088393
DATA expK<>+712(SB)/4, $0x3e088393
DATA expK<>+716(SB)/4, $0x3e088393
DATA expK<>+720(SB)/4, $0x3e088393
DATA expK<>+724(SB)/4, $0x3e088393
DATA expK<>+728(SB)/4, $0x3e088393
DATA expK<>+732(SB)/4, $0x3e088393
DATA expK<>+736(SB)/4, $0xbeaaaa99 // T0 -0.333332819422
DATA expK<>+740(SB)/4, $0xbeaaaa99
DATA expK<>+744(SB)/4, $0xbeaaaa99
DATA expK<>+748(SB)/4, $0xbeaaaa99
DATA expK<>+752(SB)/4, $0xbeaaaa99
DATA expK<>+756(SB)/4, $0xbeaaaa99
DATA expK<>+760(SB)/4, $0xbeaaaa99
DATA expK<>+764(SB)/4, $0xbeaaaa99
DATA expK<>+768(SB)/4, $0xbfcc422a // GK1 -1.5957691216057308
DATA expK<>+772(SB)/4, $0xbfcc422a
DATA expK<>+776(SB)/4, $0xbfcc422a
DATA expK<>+780(SB)/4, $0xbfcc422a
DATA expK<>+784(SB)/4, $0xbfcc422a
DATA expK<>+788(SB)/4, $0xbfcc422a
DATA expK<>+792(SB)/4, $0xbfcc422a
DATA expK<>+796(SB)/4, $0xbfcc422a
DATA expK<>+800(SB)/4, $0xbd922279 // GK2 -0.07135481627260025
DATA expK<>+804(SB)/4, $0xbd922279
DATA expK<>+808(SB)/4, $0xbd922279
DATA expK<>+812(SB)/4, $0xbd922279
DATA expK<>+816(SB)/4, $0xbd922279
DATA expK<>+820(SB)/4, $0xbd922279
DATA expK<>+824(SB)/4, $0xbd922279
DATA expK<>+828(SB)/4, $0xbd922279
DATA expK<>+832(SB)/4, $0x40800000 // EFMAX 4.0
DATA expK<>+836(SB)/4, $0x40800000
DATA expK<>+840(SB)/4, $0x40800000
DATA expK<>+844(SB)/4, $0x40800000
DATA expK<>+848(SB)/4, $0x40800000
DATA expK<>+852(SB)/4, $0x40800000
DATA expK<>+856(SB)/4, $0x40800000
DATA expK<>+860(SB)/4, $0x40800000
DATA expK<>+864(SB)/4, $0xc0800000 // EFMIN -4.0
DATA expK<>+868(SB)/4, $0xc0800000
DATA expK<>+872(SB)/4, $0xc0800000
DATA expK<>+876(SB)/4, $0xc0800000
DATA expK<>+880(SB)/4, $0xc0800000
DATA expK<>+884(SB)/4, $0xc0800000
DATA expK<>+888(SB)/4, $0xc0800000
DATA expK<>+892(SB)/4, $0xc0800000
DATA expK<>+896(SB)/4, $0xaf95df0b // A13 -2.72614225801306e-10
DATA expK<>+900(SB)/4, $0xaf95df0b
DATA expK<>+904(SB)/4, $0xaf95df0b
DATA expK<>+908(SB)/4, $0xaf95df0b
DATA expK<>+912(SB)/4, $0xaf95df0b
DATA expK<>+916(SB)/4, $0xaf95df0b
DATA expK<>+920(SB)/4, $0xaf95df0b
DATA expK<>+924(SB)/4, $0xaf95df0b
DATA expK<>+928(SB)/4, $0x32edffee // A11 2.77068142495902e-08
DATA expK<>+932(SB)/4, $0x32edffee
DATA expK<>+936(SB)/4, $0x32edffee
DATA expK<>+940(SB)/4, $0x32edffee
DATA expK<>+944(SB)/4, $0x32edffee
DATA expK<>+948(SB)/4, $0x32edffee
DATA expK<>+952(SB)/4, $0x32edffee
DATA expK<>+956(SB)/4, $0x32edffee
DATA expK<>+960(SB)/4, $0xb60cff51 // A9 -2.10102402082508e-06
DATA expK<>+964(SB)/4, $0xb60cff51
DATA expK<>+968(SB)/4, $0xb60cff51
DATA expK<>+972(SB)/4, $0xb60cff51
DATA expK<>+976(SB)/4, $0xb60cff51
DATA expK<>+980(SB)/4, $0xb60cff51
DATA expK<>+984(SB)/4, $0xb60cff51
DATA expK<>+988(SB)/4, $0xb60cff51
DATA expK<>+992(SB)/4, $0xb86ec2d2 // A7 -5.69250639462346e-05
DATA expK<>+996(SB)/4, $0xb86ec2d2
DATA expK<>+1000(SB)/4, $0xb86ec2d2
DATA expK<>+1004(SB)/4, $0xb86ec2d2
DATA expK<>+1008(SB)/4, $0xb86ec2d2
DATA expK<>+1012(SB)/4, $0xb86ec2d2
DATA expK<>+1016(SB)/4, $0xb86ec2d2
DATA expK<>+1020(SB)/4, $0xb86ec2d2
DATA expK<>+1024(SB)/4, $0xba40ac63 // A5 -0.000734990630326855
DATA expK<>+1028(SB)/4, $0xba40ac63
DATA expK<>+1032(SB)/4, $0xba40ac63
DATA expK<>+1036(SB)/4, $0xba40ac63
DATA expK<>+1040(SB)/4, $0xba40ac63
DATA expK<>+1044(SB)/4, $0xba40ac63
DATA expK<>+1048(SB)/4, $0xba40ac63
DATA expK<>+1052(SB)/4, $0xba40ac63
DATA expK<>+1056(SB)/4, $0xbb41a1f6 // A3 -0.00295459980854025
DATA expK<>+1060(SB)/4, $0xbb41a1f6
DATA expK<>+1064(SB)/4, $0xbb41a1f6
DATA expK<>+1068(SB)/4, $0xbb41a1f6
DATA expK<>+1072(SB)/4, $0xbb41a1f6
DATA expK<>+1076(SB)/4, $0xbb41a1f6
DATA expK<>+1080(SB)/4, $0xbb41a1f6
DATA expK<>+1084(SB)/4, $0xbb41a1f6
DATA expK<>+1088(SB)/4, $0xbc83dbd4 // A1 -0.0160960333262415
DATA expK<>+1092(SB)/4, $0xbc83dbd4
DATA expK<>+1096(SB)/4, $0xbc83dbd4
DATA expK<>+1100(SB)/4, $0xbc83dbd4
DATA expK<>+1104(SB)/4, $0xbc83dbd4
DATA expK<>+1108(SB)/4, $0xbc83dbd4
DATA expK<>+1112(SB)/4, $0xbc83dbd4
DATA expK<>+1116(SB)/4, $0xbc83dbd4
DATA expK<>+1120(SB)/4, $0xb77460cd // B8 -1.45660718464996e-05
DATA expK<>+1124(SB)/4, $0xb77460cd
DATA expK<>+1128(SB)/4, $0xb77460cd
DATA expK<>+1132(SB)/4, $0xb77460cd
DATA expK<>+1136(SB)/4, $0xb77460cd
DATA expK<>+1140(SB)/4, $0xb77460cd
DATA expK<>+1144(SB)/4, $0xb77460cd
DATA expK<>+1148(SB)/4, $0xb77460cd
DATA expK<>+1152(SB)/4, $0xb95fbd29 // B6 -0.000213374055278905
DATA expK<>+1156(SB)/4, $0xb95fbd29
DATA expK<>+1160(SB)/4, $0xb95fbd29
DATA expK<>+1164(SB)/4, $0xb95fbd29
DATA expK<>+1168(SB)/4, $0xb95fbd29
DATA expK<>+1172(SB)/4, $0xb95fbd29
DATA expK<>+1176(SB)/4, $0xb95fbd29
DATA expK<>+1180(SB)/4, $0xb95fbd29
DATA expK<>+1184(SB)/4, $0xbadc924e // B4 -0.00168282697438203
DATA expK<>+1188(SB)/4, $0xbadc924e
DATA expK<>+1192(SB)/4, $0xbadc924e
DATA expK<>+1196(SB)/4, $0xbadc924e
DATA expK<>+1200(SB)/4, $0xbadc924e
DATA expK<>+1204(SB)/4, $0xbadc924e
DATA expK<>+1208(SB)/4, $0xbadc924e
DATA expK<>+1212(SB)/4, $0xbadc924e
DATA expK<>+1216(SB)/4, $0xbbf19bf8 // B2 -0.00737332916720468
DATA expK<>+1220(SB)/4, $0xbbf19bf8
DATA expK<>+1224(SB)/4, $0xbbf19bf8
DATA expK<>+1228(SB)/4, $0xbbf19bf8
DATA expK<>+1232(SB)/4, $0xbbf19bf8
DATA expK<>+1236(SB)/4, $0xbbf19bf8
DATA expK<>+1240(SB)/4, $0xbbf19bf8
DATA expK<>+1244(SB)/4, $0xbbf19bf8
DATA expK<>+1248(SB)/4, $0xbc69b6a7 // B0 -0.0142647390514189
DATA expK<>+1252(SB)/4, $0xbc69b6a7
DATA expK<>+1256(SB)/4, $0xbc69b6a7
DATA expK<>+1260(SB)/4, $0xbc69b6a7
DATA expK<>+1264(SB)/4, $0xbc69b6a7
DATA expK<>+1268(SB)/4, $0xbc69b6a7
DATA expK<>+1272(SB)/4, $0xbc69b6a7
DATA expK<>+1276(SB)/4, $0xbc69b6a7
DATA expK<>+1280(SB)/4, $0x3f000000 // HALF 0.5
DATA expK<>+1284(SB)/4, $0x3f000000
DATA expK<>+1288(SB)/4, $0x3f000000
DATA expK<>+1292(SB)/4, $0x3f000000
DATA expK<>+1296(SB)/4, $0x3f000000
DATA expK<>+1300(SB)/4, $0x3f000000
DATA expK<>+1304(SB)/4, $0x3f000000
DATA expK<>+1308(SB)/4, $0x3f000000
DATA expK<>+1312(SB)/4, $0x3f3504f3 // RSQRT2 0.7071067811865476
DATA expK<>+1316(SB)/4, $0x3f3504f3
DATA expK<>+1320(SB)/4, $0x3f3504f3
DATA expK<>+1324(SB)/4, $0x3f3504f3
DATA expK<>+1328(SB)/4, $0x3f3504f3
DATA expK<>+1332(SB)/4, $0x3f3504f3
DATA expK<>+1336(SB)/4, $0x3f3504f3
DATA expK<>+1340(SB)/4, $0x3f3504f3
DATA expK<>+1344(SB)/4, $0xc1500000 // XMIN -13.0
DATA expK<>+1348(SB)/4, $0xc1500000
DATA expK<>+1352(SB)/4, $0xc1500000
DATA expK<>+1356(SB)/4, $0xc1500000
DATA expK<>+1360(SB)/4, $0xc1500000
DATA expK<>+1364(SB)/4, $0xc1500000
DATA expK<>+1368(SB)/4, $0xc1500000
DATA expK<>+1372(SB)/4, $0xc1500000
DATA expK<>+1376(SB)/4, $0x3efffefe // Q0 0.499992311000824
DATA expK<>+1380(SB)/4, $0x3efffefe
DATA expK<>+1384(SB)/4, $0x3efffefe
DATA expK<>+1388(SB)/4, $0x3efffefe
DATA expK<>+1392(SB)/4, $0x3efffefe
DATA expK<>+1396(SB)/4, $0x3efffefe
DATA expK<>+1400(SB)/4, $0x3efffefe
DATA expK<>+1404(SB)/4, $0x3efffefe
DATA expK<>+1408(SB)/4, $0x3e2ef945 // N9 0.17087277
DATA expK<>+1412(SB)/4, $0x3e2ef945
DATA expK<>+1416(SB)/4, $0x3e2ef945
DATA expK<>+1420(SB)/4, $0x3e2ef945
DATA expK<>+1424(SB)/4, $0x3e2ef945
DATA expK<>+1428(SB)/4, $0x3e2ef945
DATA expK<>+1432(SB)/4, $0x3e2ef945
DATA expK<>+1436(SB)/4, $0x3e2ef945
DATA expK<>+1440(SB)/4, $0xbf527892 // N8 -0.82215223
DATA expK<>+1444(SB)/4, $0xbf527892
DATA expK<>+1448(SB)/4, $0xbf527892
DATA expK<>+1452(SB)/4, $0xbf527892
DATA expK<>+1456(SB)/4, $0xbf527892
DATA expK<>+1460(SB)/4, $0xbf527892
DATA expK<>+1464(SB)/4, $0xbf527892
DATA expK<>+1468(SB)/4, $0xbf527892
DATA expK<>+1472(SB)/4, $0x3fbe87b0 // N7 1.48851587
DATA expK<>+1476(SB)/4, $0x3fbe87b0
DATA expK<>+1480(SB)/4, $0x3fbe87b0
DATA expK<>+1484(SB)/4, $0x3fbe87b0
DATA expK<>+1488(SB)/4, $0x3fbe87b0
DATA expK<>+1492(SB)/4, $0x3fbe87b0
DATA expK<>+1496(SB)/4, $0x3fbe87b0
DATA expK<>+1500(SB)/4, $0x3fbe87b0
DATA expK<>+1504(SB)/4, $0xbf914e5d // N6 -1.13520398
DATA expK<>+1508(SB)/4, $0xbf914e5d
DATA expK<>+1512(SB)/4, $0xbf914e5d
DATA expK<>+1516(SB)/4, $0xbf914e5d
DATA expK<>+1520(SB)/4, $0xbf914e5d
DATA expK<>+1524(SB)/4, $0xbf914e5d
DATA expK<>+1528(SB)/4, $0xbf914e5d
DATA expK<>+1532(SB)/4, $0xbf914e5d
DATA expK<>+1536(SB)/4, $0x3e8ec7cc // N5 0.27886807
DATA expK<>+1540(SB)/4, $0x3e8ec7cc
DATA expK<>+1544(SB)/4, $0x3e8ec7cc
DATA expK<>+1548(SB)/4, $0x3e8ec7cc
DATA expK<>+1552(SB)/4, $0x3e8ec7cc
DATA expK<>+1556(SB)/4, $0x3e8ec7cc
DATA expK<>+1560(SB)/4, $0x3e8ec7cc
DATA expK<>+1564(SB)/4, $0x3e8ec7cc
DATA expK<>+1568(SB)/4, $0xbe3ec24c // N4 -0.18628806
DATA expK<>+1572(SB)/4, $0xbe3ec24c
DATA expK<>+1576(SB)/4, $0xbe3ec24c
DATA expK<>+1580(SB)/4, $0xbe3ec24c
DATA expK<>+1584(SB)/4, $0xbe3ec24c
DATA expK<>+1588(SB)/4, $0xbe3ec24c
DATA expK<>+1592(SB)/4, $0xbe3ec24c
DATA expK<>+1596(SB)/4, $0xbe3ec24c
DATA expK<>+1600(SB)/4, $0x3dc636c9 // N3 0.09678418
DATA expK<>+1604(SB)/4, $0x3dc636c9
DATA expK<>+1608(SB)/4, $0x3dc636c9
DATA expK<>+1612(SB)/4, $0x3dc636c9
DATA expK<>+1616(SB)/4, $0x3dc636c9
DATA expK<>+1620(SB)/4, $0x3dc636c9
DATA expK<>+1624(SB)/4, $0x3dc636c9
DATA expK<>+1628(SB)/4, $0x3dc636c9
DATA expK<>+1632(SB)/4, $0x3ebf88fb // N2 0.37409196
DATA expK<>+1636(SB)/4, $0x3ebf88fb
DATA expK<>+1640(SB)/4, $0x3ebf88fb
DATA expK<>+1644(SB)/4, $0x3ebf88fb
DATA expK<>+1648(SB)/4, $0x3ebf88fb
DATA expK<>+1652(SB)/4, $0x3ebf88fb
DATA expK<>+1656(SB)/4, $0x3ebf88fb
DATA expK<>+1660(SB)/4, $0x3ebf88fb
DATA expK<>+1664(SB)/4, $0x3f8000c7 // N1 1.00002368
DATA expK<>+1668(SB)/4, $0x3f8000c7
DATA expK<>+1672(SB)/4, $0x3f8000c7
DATA expK<>+1676(SB)/4, $0x3f8000c7
DATA expK<>+1680(SB)/4, $0x3f8000c7
DATA expK<>+1684(SB)/4, $0x3f8000c7
DATA expK<>+1688(SB)/4, $0x3f8000c7
DATA expK<>+1692(SB)/4, $0x3f8000c7
DATA expK<>+1696(SB)/4, $0xbfa1fc4e // N0 -1.26551223
DATA expK<>+1700(SB)/4, $0xbfa1fc4e
DATA expK<>+1704(SB)/4, $0xbfa1fc4e
DATA expK<>+1708(SB)/4, $0xbfa1fc4e
DATA expK<>+1712(SB)/4, $0xbfa1fc4e
DATA expK<>+1716(SB)/4, $0xbfa1fc4e
DATA expK<>+1720(SB)/4, $0xbfa1fc4e
DATA expK<>+1724(SB)/4, $0xbfa1fc4e
DATA expK<>+1728(SB)/4, $0x0000007f // I127 0x7f
DATA expK<>+1732(SB)/4, $0x0000007f
DATA expK<>+1736(SB)/4, $0x0000007f
DATA expK<>+1740(SB)/4, $0x0000007f
DATA expK<>+1744(SB)/4, $0x0000007f
DATA expK<>+1748(SB)/4, $0x0000007f
DATA expK<>+1752(SB)/4, $0x0000007f
DATA expK<>+1756(SB)/4, $0x0000007f
DATA expK<>+1760(SB)/4, $0x00000000 // ZERO 0.0
DATA expK<>+1764(SB)/4, $0x00000000
DATA expK<>+1768(SB)/4, $0x00000000
DATA expK<>+1772(SB)/4, $0x00000000
DATA expK<>+1776(SB)/4, $0x00000000
DATA expK<>+1780(SB)/4, $0x00000000
DATA expK<>+1784(SB)/4, $0x00000000
DATA expK<>+1788(SB)/4, $0x00000000
DATA expK<>+1792(SB)/4, $0x3c083142 // Q3 0.008312525227665901
DATA expK<>+1796(SB)/4, $0x3c083142
DATA expK<>+1800(SB)/4, $0x3c083142
DATA expK<>+1804(SB)/4, $0x3c083142
DATA expK<>+1808(SB)/4, $0x3c083142
DATA expK<>+1812(SB)/4, $0x3c083142
DATA expK<>+1816(SB)/4, $0x3c083142
DATA expK<>+1820(SB)/4, $0x3c083142
DATA expK<>+1824(SB)/4, $0x3d2b94f8 // Q2 0.041890114545822144
DATA expK<>+1828(SB)/4, $0x3d2b94f8
DATA expK<>+1832(SB)/4, $0x3d2b94f8
DATA expK<>+1836(SB)/4, $0x3d2b94f8
DATA expK<>+1840(SB)/4, $0x3d2b94f8
DATA expK<>+1844(SB)/4, $0x3d2b94f8
DATA expK<>+1848(SB)/4, $0x3d2b94f8
DATA expK<>+1852(SB)/4, $0x3d2b94f8
DATA expK<>+1856(SB)/4, $0x3e2aabd7 // Q1 0.16667114198207855
DATA expK<>+1860(SB)/4, $0x3e2aabd7
DATA expK<>+1864(SB)/4, $0x3e2aabd7
DATA expK<>+1868(SB)/4, $0x3e2aabd7
DATA expK<>+1872(SB)/4, $0x3e2aabd7
DATA expK<>+1876(SB)/4, $0x3e2aabd7
DATA expK<>+1880(SB)/4, $0x3e2aabd7
DATA expK<>+1884(SB)/4, $0x3e2aabd7
DATA expK<>+1888(SB)/4, $0x3eb504f3 // RS2H 0.35355339 = 1/(2 sqrt2)
DATA expK<>+1892(SB)/4, $0x3eb504f3
DATA expK<>+1896(SB)/4, $0x3eb504f3
DATA expK<>+1900(SB)/4, $0x3eb504f3
DATA expK<>+1904(SB)/4, $0x3eb504f3
DATA expK<>+1908(SB)/4, $0x3eb504f3
DATA expK<>+1912(SB)/4, $0x3eb504f3
DATA expK<>+1916(SB)/4, $0x3eb504f3
GLOBL expK<>(SB), RODATA|NOPTR, $1920

// EXP8_CORE(x, r, n, p, s): p = e^x for x clamped to [AMIN, AMAX] (in r,
// then reduced: n the exponent, the Cephes polynomial, the scale), the
// core of expAVX2, TANH_AVX2, expSubSumAVX2 and softmaxRowAVX2; r, n, s
// are scratch.
#define EXP8_CORE(x, r, n, p, s) \
	VMOVUPS expK<>+32(SB), r; \
	VMAXPS x, r, r; \
	VMOVUPS expK<>+64(SB), n; \
	VMINPS r, n, r; \
	VMULPS expK<>+96(SB), r, n; \
	VROUNDPS $0, n, n; \
	VFNMADD231PS expK<>+128(SB), n, r; \
	VFNMADD231PS expK<>+160(SB), n, r; \
	VMOVUPS expK<>+192(SB), p; \
	VFMADD213PS expK<>+224(SB), r, p; \
	VFMADD213PS expK<>+256(SB), r, p; \
	VFMADD213PS expK<>+288(SB), r, p; \
	VFMADD213PS expK<>+320(SB), r, p; \
	VFMADD213PS expK<>+352(SB), r, p; \
	VMULPS r, r, s; \
	VFMADD213PS r, s, p; \
	VADDPS expK<>+0(SB), p, p; \
	VCVTPS2DQ n, n; \
	VPADDD expK<>+384(SB), n, n; \
	VPSLLD $23, n, n; \
	VMULPS n, p, p; \
	VADDPS p, p, p

// func expAVX2(dst, src *float32, n int)
// dst[i] = e^src[i] for i in [0, n), n a multiple of 8: +Inf above
// 88.7228 (float32 overflow), 0 below -86; NaN stays NaN.
TEXT ·expAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   expAVX2done

expAVX2loop:
	VMOVUPS (SI), Y0
	EXP8_CORE(Y0, Y1, Y2, Y3, Y4)
	VCMPPS $14, expK<>+64(SB), Y0, Y5
	VBLENDVPS Y5, expK<>+416(SB), Y3, Y3
	VCMPPS $1, expK<>+32(SB), Y0, Y5
	VANDNPS Y3, Y5, Y3
	VMOVUPS Y3, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  expAVX2loop

expAVX2done:
	VZEROUPPER
	RET

// TANH_AVX2: Y0 = tanh(x), x = Y0, as tanhAVX2 describes; uses Y1-Y11.
#define TANH_AVX2 \
	VANDPS expK<>+448(SB), Y0, Y6; \
	VADDPS Y6, Y6, Y7; \
	VMOVUPS expK<>+544(SB), Y8; \
	VMINPS Y7, Y8, Y7; \
	EXP8_CORE(Y7, Y1, Y2, Y3, Y4); \
	VADDPS expK<>+0(SB), Y3, Y3; \
	VMOVUPS expK<>+512(SB), Y8; \
	VDIVPS Y3, Y8, Y3; \
	VMOVUPS expK<>+0(SB), Y8; \
	VSUBPS Y3, Y8, Y3; \
	VANDPS expK<>+480(SB), Y0, Y8; \
	VORPS Y8, Y3, Y3; \
	VMULPS Y0, Y0, Y9; \
	VMOVUPS expK<>+608(SB), Y10; \
	VFMADD213PS expK<>+640(SB), Y9, Y10; \
	VFMADD213PS expK<>+672(SB), Y9, Y10; \
	VFMADD213PS expK<>+704(SB), Y9, Y10; \
	VFMADD213PS expK<>+736(SB), Y9, Y10; \
	VMULPS Y9, Y10, Y10; \
	VFMADD213PS Y0, Y0, Y10; \
	VCMPPS $1, expK<>+576(SB), Y6, Y11; \
	VBLENDVPS Y11, Y10, Y3, Y3; \
	VMOVAPS Y3, Y0

// GELU_TANH_AVX2: Y0 = x / (1 + e^(-2z)), x = Y0, as geluTanhAVX2
// describes; uses Y1-Y7.
#define GELU_TANH_AVX2 \
	VMULPS Y0, Y0, Y6; \
	VMOVUPS expK<>+800(SB), Y7; \
	VFMADD213PS expK<>+768(SB), Y6, Y7; \
	VMULPS Y0, Y7, Y7; \
	EXP8_CORE(Y7, Y1, Y2, Y3, Y4); \
	VADDPS expK<>+0(SB), Y3, Y3; \
	VDIVPS Y3, Y0, Y0

// func tanhAVX2(dst, src *float32, n int)
// dst[i] = tanh(x), x = src[i], for i in [0, n), n a multiple of 8: the
// Cephes tanhf polynomial where |x| < 0.625, else 1 - 2/(e^(2|x|) + 1)
// with the sign of x (2|x| clamped to 88); NaN stays NaN.
TEXT ·tanhAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   tanhAVX2done

tanhAVX2loop:
	VMOVUPS (SI), Y0
	TANH_AVX2
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  tanhAVX2loop

tanhAVX2done:
	VZEROUPPER
	RET

// func geluTanhAVX2(dst, src *float32, n int)
// dst[i] = x / (1 + e^(-2z)), z = sqrt(2/pi) (x + 0.044715 x^3), x =
// src[i] (= x/2 (1 + tanh z)), for i in [0, n), n a multiple of 8; the
// exponent is clamped to [-86, 88.72]; NaN stays NaN.
TEXT ·geluTanhAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   geluTanhAVX2done

geluTanhAVX2loop:
	VMOVUPS (SI), Y0
	GELU_TANH_AVX2
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  geluTanhAVX2loop

geluTanhAVX2done:
	VZEROUPPER
	RET

// func erfAVX2(dst, src *float32, n int)
// dst[i] = erf(x), x = src[i] clamped to [-4, 4], by Eigen's float32
// rational approximation (as erfRef), for i in [0, n), n a multiple of 8;
// NaN stays NaN.
TEXT ·erfAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   erfAVX2done

erfAVX2loop:
	VMOVUPS (SI), Y0
	VMOVUPS expK<>+832(SB), Y1
	VMINPS Y0, Y1, Y1
	VMOVUPS expK<>+864(SB), Y2
	VMAXPS Y1, Y2, Y1
	VMULPS Y1, Y1, Y2
	VMOVUPS expK<>+896(SB), Y3
	VFMADD213PS expK<>+928(SB), Y2, Y3
	VFMADD213PS expK<>+960(SB), Y2, Y3
	VFMADD213PS expK<>+992(SB), Y2, Y3
	VFMADD213PS expK<>+1024(SB), Y2, Y3
	VFMADD213PS expK<>+1056(SB), Y2, Y3
	VFMADD213PS expK<>+1088(SB), Y2, Y3
	VMULPS Y1, Y3, Y3
	VMOVUPS expK<>+1120(SB), Y4
	VFMADD213PS expK<>+1152(SB), Y2, Y4
	VFMADD213PS expK<>+1184(SB), Y2, Y4
	VFMADD213PS expK<>+1216(SB), Y2, Y4
	VFMADD213PS expK<>+1248(SB), Y2, Y4
	VDIVPS Y4, Y3, Y3
	VMOVUPS Y3, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  erfAVX2loop

erfAVX2done:
	VZEROUPPER
	RET

// func maxAVX2(v *float32, n int) float32
// The largest of v[0:n], n a multiple of 8 (> 0); NaN lanes are skipped
// unless every element is NaN.
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ v+0(FP), SI
	MOVQ n+8(FP), CX
	VMOVUPS (SI), Y0
	ADDQ $32, SI
	SHRQ $3, CX
	DECQ CX
	JZ   maxdone

maxloop:
	VMAXPS (SI), Y0, Y0
	ADDQ $32, SI
	DECQ CX
	JNZ  maxloop

maxdone:
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VMOVHLPS X0, X0, X1
	VMAXPS X1, X0, X0
	VMOVSHDUP X0, X1
	VMAXSS X1, X0, X0
	VZEROUPPER
	MOVSS X0, ret+16(FP)
	RET

// func expSubSumAVX2(dst, src *float32, n int, m float32) float32
// dst[i] = e^(src[i] - m) for i in [0, n), n a multiple of 8, and returns
// their sum: 8 lane sums in index order, then (l, l+4), (0,1)+(2,3)... as
// sumAVX2 combines its lanes.
TEXT ·expSubSumAVX2(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS m+24(FP), Y15
	VXORPS Y14, Y14, Y14
	SHRQ $3, CX
	JZ   essdone

essloop:
	VMOVUPS (SI), Y0
	VSUBPS Y15, Y0, Y0
	EXP8_CORE(Y0, Y1, Y2, Y3, Y4)
	VCMPPS $1, expK<>+32(SB), Y0, Y5
	VANDNPS Y3, Y5, Y3
	VMOVUPS Y3, (DI)
	VADDPS Y3, Y14, Y14
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  essloop

essdone:
	VEXTRACTF128 $1, Y14, X1
	VADDPS X1, X14, X0
	VMOVHLPS X0, X0, X1
	VADDPS X1, X0, X0
	VMOVSHDUP X0, X1
	VADDSS X1, X0, X0
	VZEROUPPER
	MOVSS X0, ret+32(FP)
	RET

// func sumSqDevAVX2(v *float32, n int, m float32) float32
// Sum of (v[i] - m)^2 for i in [0, n), n a multiple of 8: 8 lane sums,
// combined as in expSubSumAVX2.
TEXT ·sumSqDevAVX2(SB), NOSPLIT, $0-28
	MOVQ v+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS m+16(FP), Y15
	VXORPS Y14, Y14, Y14
	SHRQ $3, CX
	JZ   ssddone

ssdloop:
	VMOVUPS (SI), Y0
	VSUBPS Y15, Y0, Y0
	VFMADD231PS Y0, Y0, Y14
	ADDQ $32, SI
	DECQ CX
	JNZ  ssdloop

ssddone:
	VEXTRACTF128 $1, Y14, X1
	VADDPS X1, X14, X0
	VMOVHLPS X0, X0, X1
	VADDPS X1, X0, X0
	VMOVSHDUP X0, X1
	VADDSS X1, X0, X0
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func normAffineAVX2(dst, src, s, b *float32, n int, m, k float32)
// dst[i] = ((src[i] - m) * k) * s[i] + b[i] (one rounding for the last
// multiply-add) for i in [0, n), n a multiple of 8.
TEXT ·normAffineAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ s+16(FP), R8
	MOVQ b+24(FP), R9
	MOVQ n+32(FP), CX
	VBROADCASTSS m+40(FP), Y15
	VBROADCASTSS k+44(FP), Y14
	SHRQ $3, CX
	JZ   nadone

naloop:
	VMOVUPS (SI), Y0
	VSUBPS Y15, Y0, Y0
	VMULPS Y14, Y0, Y0
	VMOVUPS (R9), Y1
	VFMADD231PS (R8), Y0, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	ADDQ $32, R9
	DECQ CX
	JNZ  naloop

nadone:
	VZEROUPPER
	RET

// func normScaleAVX2(dst, src *float32, n int, m, k, c float32)
// dst[i] = (src[i] - m) * k + c (one rounding for the multiply-add) for i
// in [0, n), n a multiple of 8.
TEXT ·normScaleAVX2(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS m+24(FP), Y15
	VBROADCASTSS k+28(FP), Y14
	VBROADCASTSS c+32(FP), Y13
	SHRQ $3, CX
	JZ   nsdone

nsloop:
	VMOVUPS (SI), Y0
	VSUBPS Y15, Y0, Y0
	VFMADD213PS Y13, Y14, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  nsloop

nsdone:
	VZEROUPPER
	RET

// func axpbAVX2(dst, src *float32, n int, a, c float32)
// dst[i] = src[i]*a + c (one rounding) for i in [0, n), n a multiple of 8.
TEXT ·axpbAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS a+24(FP), Y15
	VBROADCASTSS c+28(FP), Y14
	SHRQ $3, CX
	JZ   axdone

axloop:
	VMOVUPS (SI), Y0
	VFMADD213PS Y14, Y15, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  axloop

axdone:
	VZEROUPPER
	RET


// Tile activations: each kernel applies its activation in place to rows
// rows of cols floats, the rows ldc floats apart, in one call (a GEMM
// tile is 12 rows of 32). Every element goes through the same lane code
// whatever its position: full vectors, then the row's tail through a
// masked load (masked-off lanes read as 0) and a masked store, so an
// element's bits do not depend on the block's shape. The avx512 kernels
// perform, per lane, the avx2 kernels' sequence of roundings (constants
// broadcast from the first float of their expK entry; VRNDSCALEPS $0
// rounds as VROUNDPS $0; VSCALEFPS p, n gives the bits of the avx2
// p * 2^(n-1) * 2 and p * 2^n wherever they are used: n is an integer
// and the product normal or infinite in both).

// tileMask<>+32-4t holds t all-ones lanes and then zeros: the avx2 tail
// mask of t < 8 floats.
DATA tileMask<>+0(SB)/8, $0xffffffffffffffff
DATA tileMask<>+8(SB)/8, $0xffffffffffffffff
DATA tileMask<>+16(SB)/8, $0xffffffffffffffff
DATA tileMask<>+24(SB)/8, $0xffffffffffffffff
DATA tileMask<>+32(SB)/8, $0
DATA tileMask<>+40(SB)/8, $0
DATA tileMask<>+48(SB)/8, $0
DATA tileMask<>+56(SB)/8, $0
GLOBL tileMask<>(SB), RODATA|NOPTR, $64

// TILE_ARGS loads the common arguments: DI = c, R8 = rows, R9 = cols,
// R10 = ldc in bytes.
#define TILE_ARGS \
	MOVQ c+0(FP), DI; \
	MOVQ rows+8(FP), R8; \
	MOVQ cols+16(FP), R9; \
	MOVQ ldc+24(FP), R10; \
	SHLQ $2, R10

// TILE_MASK_AVX2 sets Y15 to the tail mask of cols mod 8 lanes.
#define TILE_MASK_AVX2 \
	MOVQ R9, AX; \
	ANDQ $7, AX; \
	SHLQ $2, AX; \
	LEAQ tileMask<>+32(SB), BX; \
	SUBQ AX, BX; \
	VMOVUPS (BX), Y15

// TILE_MASK_AVX512 sets K2 to the tail mask of cols mod 16 lanes.
#define TILE_MASK_AVX512 \
	MOVQ R9, CX; \
	ANDQ $15, CX; \
	MOVL $1, AX; \
	SHLL CX, AX; \
	DECL AX; \
	KMOVW AX, K2

// TILE_LOOP_AVX2 applies body (in place on Y0; Y12-Y15 left alone) to
// the block, vector by vector, each row's tail through the mask Y15; its
// label arguments name the loop's labels.
#define TILE_LOOP_AVX2(body, lrow, lvec, ltail, lnext) \
lrow: \
	MOVQ DI, SI; \
	MOVQ R9, CX; \
	SHRQ $3, CX; \
	JZ   ltail; \
lvec: \
	VMOVUPS (SI), Y0; \
	body; \
	VMOVUPS Y0, (SI); \
	ADDQ $32, SI; \
	DECQ CX; \
	JNZ  lvec; \
ltail: \
	TESTQ $7, R9; \
	JZ   lnext; \
	VMASKMOVPS (SI), Y15, Y0; \
	body; \
	VMASKMOVPS Y0, Y15, (SI); \
lnext: \
	ADDQ R10, DI; \
	DECQ R8; \
	JNZ  lrow; \
	VZEROUPPER; \
	RET

// TILE_LOOP_AVX512 is TILE_LOOP_AVX2 on Z0, the tail under the mask K2.
#define TILE_LOOP_AVX512(body, lrow, lvec, ltail, lnext) \
lrow: \
	MOVQ DI, SI; \
	MOVQ R9, CX; \
	SHRQ $4, CX; \
	JZ   ltail; \
lvec: \
	VMOVUPS (SI), Z0; \
	body; \
	VMOVUPS Z0, (SI); \
	ADDQ $64, SI; \
	DECQ CX; \
	JNZ  lvec; \
ltail: \
	KORTESTW K2, K2; \
	JZ   lnext; \
	VMOVUPS.Z (SI), K2, Z0; \
	body; \
	VMOVUPS Z0, K2, (SI); \
lnext: \
	ADDQ R10, DI; \
	DECQ R8; \
	JNZ  lrow; \
	VZEROUPPER; \
	RET

// SIGMOID_AVX2: Y3 = 1 + e^-x, x = Y0, -x clamped to [-86, 88.72]:
// expAVX2's reduction (a = n ln2 + r, |r| <= ln2/2) with e^r = 1 + r +
// r^2 Q(r), Q of degree 3 (Q3..Q0: a minimax fit of (e^r - 1 - r)/r^2
// for the relative error of e^r, 1.1e-7; 1.7e-7 with float32 roundings),
// two FMAs fewer than expAVX2's Cephes polynomial and still far inside
// the 2e-6 of ApplyAct's Sigmoid and SiLU; uses Y1-Y4, Y6. The caller
// divides 1 (Sigmoid) or x (SiLU: x / (1 + e^-x), one rounding) by it.
#define SIGMOID_AVX2 \
	VXORPS expK<>+480(SB), Y0, Y6; \
	VMOVUPS expK<>+32(SB), Y1; \
	VMAXPS Y6, Y1, Y1; \
	VMOVUPS expK<>+64(SB), Y2; \
	VMINPS Y1, Y2, Y1; \
	VMULPS expK<>+96(SB), Y1, Y2; \
	VROUNDPS $0, Y2, Y2; \
	VFNMADD231PS expK<>+128(SB), Y2, Y1; \
	VFNMADD231PS expK<>+160(SB), Y2, Y1; \
	VMOVUPS expK<>+1792(SB), Y3; \
	VFMADD213PS expK<>+1824(SB), Y1, Y3; \
	VFMADD213PS expK<>+1856(SB), Y1, Y3; \
	VFMADD213PS expK<>+1376(SB), Y1, Y3; \
	VMULPS Y1, Y1, Y4; \
	VFMADD213PS Y1, Y4, Y3; \
	VADDPS expK<>+0(SB), Y3, Y3; \
	VCVTPS2DQ Y2, Y2; \
	VPADDD expK<>+384(SB), Y2, Y2; \
	VPSLLD $23, Y2, Y2; \
	VMULPS Y2, Y3, Y3; \
	VADDPS Y3, Y3, Y3; \
	VADDPS expK<>+0(SB), Y3, Y3

// SIGMOID_AVX512 is SIGMOID_AVX2 on Z registers: Z3 from Z0, using Z1,
// Z2, Z4 and the constants Z16-Z25, Z28 (SIGMOID_CONSTS).
#define SIGMOID_AVX512 \
	VXORPS Z16, Z0, Z1; \
	VMAXPS Z1, Z17, Z1; \
	VMINPS Z1, Z18, Z1; \
	VMULPS Z19, Z1, Z2; \
	VRNDSCALEPS $0, Z2, Z2; \
	VFNMADD231PS Z20, Z2, Z1; \
	VFNMADD231PS Z21, Z2, Z1; \
	VMOVAPS Z22, Z3; \
	VFMADD213PS Z23, Z1, Z3; \
	VFMADD213PS Z24, Z1, Z3; \
	VFMADD213PS Z25, Z1, Z3; \
	VMULPS Z1, Z1, Z4; \
	VFMADD213PS Z1, Z4, Z3; \
	VADDPS Z28, Z3, Z3; \
	VSCALEFPS Z2, Z3, Z3; \
	VADDPS Z28, Z3, Z3

#define SIGMOID_CONSTS \
	VBROADCASTSS expK<>+480(SB), Z16; \
	VBROADCASTSS expK<>+32(SB), Z17; \
	VBROADCASTSS expK<>+64(SB), Z18; \
	VBROADCASTSS expK<>+96(SB), Z19; \
	VBROADCASTSS expK<>+128(SB), Z20; \
	VBROADCASTSS expK<>+160(SB), Z21; \
	VBROADCASTSS expK<>+1792(SB), Z22; \
	VBROADCASTSS expK<>+1824(SB), Z23; \
	VBROADCASTSS expK<>+1856(SB), Z24; \
	VBROADCASTSS expK<>+1376(SB), Z25; \
	VBROADCASTSS expK<>+0(SB), Z28

// The Sigmoid and SiLU bodies: 1 or x divided by 1 + e^-x.
#define SIGMOID_BODY_AVX2 SIGMOID_AVX2; VMOVUPS expK<>+0(SB), Y5; VDIVPS Y3, Y5, Y0
#define SILU_BODY_AVX2 SIGMOID_AVX2; VDIVPS Y3, Y0, Y0
#define SIGMOID_BODY_AVX512 SIGMOID_AVX512; VDIVPS Z3, Z28, Z0
#define SILU_BODY_AVX512 SIGMOID_AVX512; VDIVPS Z3, Z0, Z0

// func sigmoidTileAVX2(c *float32, rows, cols, ldc int, silu int)
// c[i*ldc+j] = 1/(1 + e^-x) (x/(1 + e^-x) when silu != 0), x =
// c[i*ldc+j], for i < rows, j < cols; rows, cols > 0. NaN stays NaN.
TEXT ·sigmoidTileAVX2(SB), NOSPLIT, $0-40
	TILE_ARGS
	TILE_MASK_AVX2
	MOVQ silu+32(FP), DX
	TESTQ DX, DX
	JNZ  silut2
	TILE_LOOP_AVX2(SIGMOID_BODY_AVX2, sigt2row, sigt2vec, sigt2tail, sigt2next)

silut2:
	TILE_LOOP_AVX2(SILU_BODY_AVX2, silt2row, silt2vec, silt2tail, silt2next)

// func sigmoidTileAVX512(c *float32, rows, cols, ldc int, silu int)
// sigmoidTileAVX2 on 16 lanes: the same bits per element.
TEXT ·sigmoidTileAVX512(SB), NOSPLIT, $0-40
	TILE_ARGS
	TILE_MASK_AVX512
	SIGMOID_CONSTS
	MOVQ silu+32(FP), DX
	TESTQ DX, DX
	JNZ  silut5
	TILE_LOOP_AVX512(SIGMOID_BODY_AVX512, sigt5row, sigt5vec, sigt5tail, sigt5next)

silut5:
	TILE_LOOP_AVX512(SILU_BODY_AVX512, silt5row, silt5vec, silt5tail, silt5next)

// GELU_AVX2: Y0 = x Phi(x), x = Y0; uses Y1-Y11. By one erfc: e =
// Phi(-|x|) = erfc(|x|/sqrt2)/2 by the Numerical Recipes erfcc (t = 1/(1 +
// w/2), t e^(-w^2 + P(t)), fractional error below 1.2e-7), Phi(x) = 1 - e
// for x >= 0, e below. The exponent P(t) - x^2/2 is reduced with x^2/2
// (x clamped at -13) as h + l, h = x (x/2) rounded and l its exact error
// (an FMA): r = ((P - (h + n C1)) - l) - n C2, h + n C1 exact, so that r
// keeps its accuracy for large |x|; e^r as in SIGMOID_AVX2, scaled by
// 2^(n-1) for the halving (n >= -124 there: exact). 1 + w/2 is one FMA,
// |x| (1/(2 sqrt2)) + 1.
#define GELU_AVX2 \
	VANDPS expK<>+448(SB), Y0, Y1; \
	VMOVUPS expK<>+0(SB), Y7; \
	VFMADD231PS expK<>+1888(SB), Y1, Y7; \
	VMOVUPS expK<>+0(SB), Y8; \
	VDIVPS Y7, Y8, Y7; \
	VXORPS expK<>+480(SB), Y1, Y1; \
	VMOVUPS expK<>+1408(SB), Y8; \
	VFMADD213PS expK<>+1440(SB), Y7, Y8; \
	VFMADD213PS expK<>+1472(SB), Y7, Y8; \
	VFMADD213PS expK<>+1504(SB), Y7, Y8; \
	VFMADD213PS expK<>+1536(SB), Y7, Y8; \
	VFMADD213PS expK<>+1568(SB), Y7, Y8; \
	VFMADD213PS expK<>+1600(SB), Y7, Y8; \
	VFMADD213PS expK<>+1632(SB), Y7, Y8; \
	VFMADD213PS expK<>+1664(SB), Y7, Y8; \
	VFMADD213PS expK<>+1696(SB), Y7, Y8; \
	VMOVUPS expK<>+1344(SB), Y9; \
	VMAXPS Y1, Y9, Y9; \
	VMULPS expK<>+1280(SB), Y9, Y10; \
	VMULPS Y10, Y9, Y11; \
	VMOVAPS Y11, Y3; \
	VFMSUB231PS Y10, Y9, Y3; \
	VSUBPS Y11, Y8, Y10; \
	VMULPS expK<>+96(SB), Y10, Y10; \
	VROUNDPS $0, Y10, Y10; \
	VFMADD231PS expK<>+128(SB), Y10, Y11; \
	VSUBPS Y11, Y8, Y11; \
	VSUBPS Y3, Y11, Y11; \
	VFNMADD231PS expK<>+160(SB), Y10, Y11; \
	VMOVUPS expK<>+1792(SB), Y4; \
	VFMADD213PS expK<>+1824(SB), Y11, Y4; \
	VFMADD213PS expK<>+1856(SB), Y11, Y4; \
	VFMADD213PS expK<>+1376(SB), Y11, Y4; \
	VMULPS Y11, Y11, Y3; \
	VFMADD213PS Y11, Y3, Y4; \
	VADDPS expK<>+0(SB), Y4, Y4; \
	VCVTPS2DQ Y10, Y10; \
	VPADDD expK<>+384(SB), Y10, Y10; \
	VPSLLD $23, Y10, Y10; \
	VMULPS Y10, Y4, Y4; \
	VMULPS Y7, Y4, Y4; \
	VMOVUPS expK<>+0(SB), Y5; \
	VSUBPS Y4, Y5, Y5; \
	VCMPPS $13, expK<>+1760(SB), Y0, Y2; \
	VBLENDVPS Y2, Y5, Y4, Y4; \
	VMULPS Y4, Y0, Y0

// GELU_COEF_AVX2: Y3 = Y3*t + c, t = Y1, c the coefficient of each
// lane's interval (Y2) from the geluTab row whose lanes 0-7 are at lo and
// 8-15 at hi (Y5: bit 3 of the interval in the sign bit); uses Y4, Y7.
#define GELU_COEF_AVX2(lo, hi) \
	VPERMPS lo, Y2, Y4; \
	VPERMPS hi, Y2, Y7; \
	VBLENDVPS Y5, Y7, Y4, Y4; \
	VFMADD213PS Y4, Y1, Y3

// GELU_COEF_AVX512 is GELU_COEF_AVX2 on Z registers, the row's 16 lanes
// at row; uses Z4.
#define GELU_COEF_AVX512(row) \
	VPERMPS row, Z2, Z4; \
	VFMADD213PS Z4, Z1, Z3

// GELU_FAST_AVX2 is GELU_AVX2 (in place on Y0) by the table of
// gelu_table.go where it can: u = min(|x|, 6) lies in interval i =
// min(floor(2u), 10), t = 2u - i - 1/2, q = Phi(-u) is the interval's
// polynomial in t (Horner; each coefficient picked from geluTab's row by
// two VPERMPS, lanes 0-7 and 8-15, and a blend on bit 3 of i), and
// GELU(x) = x q for x < 0, x (1 - q) otherwise (the sign bit decides, so
// -0 too). No division; relative error below 1e-6 for x > -5 (interval
// 10, [5, 6], is fitted for x (1 - q) only). Where a lane is at or below
// -5 (or NaN), GELU_AVX2 runs on the vector and those lanes take its
// result: every element gets the same operations whatever its
// neighbours, so the AVX-512 form (same operations, one 16-lane VPERMPS
// per coefficient) gives the same bits. Uses Y1-Y12 and AX; ldone names
// its label. On standard-normal input the erfc path runs on about one
// vector in 10^6; a vector with a lane at or below -5 costs both paths.
#define GELU_FAST_AVX2(ldone) \
	VANDPS expK<>+448(SB), Y0, Y1; \
	VMINPS ·geluTab+512(SB), Y1, Y1; \
	VADDPS Y1, Y1, Y1; \
	VROUNDPS $1, Y1, Y2; \
	VMINPS ·geluTab+576(SB), Y2, Y2; \
	VSUBPS Y2, Y1, Y1; \
	VSUBPS ·geluTab+640(SB), Y1, Y1; \
	VCVTTPS2DQ Y2, Y2; \
	VPSLLD $28, Y2, Y5; \
	VPERMPS ·geluTab+0(SB), Y2, Y3; \
	VPERMPS ·geluTab+32(SB), Y2, Y7; \
	VBLENDVPS Y5, Y7, Y3, Y3; \
	GELU_COEF_AVX2(·geluTab+64(SB), ·geluTab+96(SB)); \
	GELU_COEF_AVX2(·geluTab+128(SB), ·geluTab+160(SB)); \
	GELU_COEF_AVX2(·geluTab+192(SB), ·geluTab+224(SB)); \
	GELU_COEF_AVX2(·geluTab+256(SB), ·geluTab+288(SB)); \
	GELU_COEF_AVX2(·geluTab+320(SB), ·geluTab+352(SB)); \
	GELU_COEF_AVX2(·geluTab+384(SB), ·geluTab+416(SB)); \
	GELU_COEF_AVX2(·geluTab+448(SB), ·geluTab+480(SB)); \
	VMOVUPS expK<>+0(SB), Y4; \
	VSUBPS Y3, Y4, Y4; \
	VBLENDVPS Y0, Y3, Y4, Y4; \
	VMULPS Y4, Y0, Y6; \
	VCMPPS $10, ·geluTab+704(SB), Y0, Y12; \
	VMOVMSKPS Y12, AX; \
	TESTL AX, AX; \
	JZ ldone; \
	GELU_AVX2; \
	VBLENDVPS Y12, Y0, Y6, Y6; \
ldone: \
	VMOVAPS Y6, Y0

// func geluTileAVX2(c *float32, rows, cols, ldc int)
// c[i*ldc+j] = x Phi(x) = x/2 (1 + erf(x/sqrt2)), x = c[i*ldc+j], for
// i < rows, j < cols (rows, cols > 0), by GELU_FAST_AVX2 (TILE_LOOP_AVX2
// written out: the body has labels). NaN stays NaN.
TEXT ·geluTileAVX2(SB), NOSPLIT, $0-32
	TILE_ARGS
	TILE_MASK_AVX2
gelt2row:
	MOVQ DI, SI
	MOVQ R9, CX
	SHRQ $3, CX
	JZ   gelt2tail
gelt2vec:
	VMOVUPS (SI), Y0
	GELU_FAST_AVX2(gelt2vdone)
	VMOVUPS Y0, (SI)
	ADDQ $32, SI
	DECQ CX
	JNZ  gelt2vec
gelt2tail:
	TESTQ $7, R9
	JZ   gelt2next
	VMASKMOVPS (SI), Y15, Y0
	GELU_FAST_AVX2(gelt2tdone)
	VMASKMOVPS Y0, Y15, (SI)
gelt2next:
	ADDQ R10, DI
	DECQ R8
	JNZ  gelt2row
	VZEROUPPER
	RET

// GELU_AVX512 is GELU_AVX2 on Z registers (in place on Z0, using Z1,
// Z3-Z11, K1), the frequent constants in Z16-Z21 and Z23-Z29
// (GELU_CONSTS), P's broadcast from memory.
#define GELU_AVX512 \
	VANDPS Z16, Z0, Z1; \
	VMOVAPS Z20, Z7; \
	VFMADD231PS Z18, Z1, Z7; \
	VDIVPS Z7, Z20, Z7; \
	VXORPS Z17, Z1, Z1; \
	VBROADCASTSS expK<>+1408(SB), Z8; \
	VFMADD213PS.BCST expK<>+1440(SB), Z7, Z8; \
	VFMADD213PS.BCST expK<>+1472(SB), Z7, Z8; \
	VFMADD213PS.BCST expK<>+1504(SB), Z7, Z8; \
	VFMADD213PS.BCST expK<>+1536(SB), Z7, Z8; \
	VFMADD213PS.BCST expK<>+1568(SB), Z7, Z8; \
	VFMADD213PS.BCST expK<>+1600(SB), Z7, Z8; \
	VFMADD213PS.BCST expK<>+1632(SB), Z7, Z8; \
	VFMADD213PS.BCST expK<>+1664(SB), Z7, Z8; \
	VFMADD213PS.BCST expK<>+1696(SB), Z7, Z8; \
	VMAXPS Z1, Z21, Z9; \
	VMULPS Z19, Z9, Z10; \
	VMULPS Z10, Z9, Z11; \
	VMOVAPS Z11, Z3; \
	VFMSUB231PS Z10, Z9, Z3; \
	VSUBPS Z11, Z8, Z10; \
	VMULPS Z23, Z10, Z10; \
	VRNDSCALEPS $0, Z10, Z10; \
	VFMADD231PS Z24, Z10, Z11; \
	VSUBPS Z11, Z8, Z11; \
	VSUBPS Z3, Z11, Z11; \
	VFNMADD231PS Z25, Z10, Z11; \
	VMOVAPS Z26, Z4; \
	VFMADD213PS Z27, Z11, Z4; \
	VFMADD213PS Z28, Z11, Z4; \
	VFMADD213PS Z29, Z11, Z4; \
	VMULPS Z11, Z11, Z3; \
	VFMADD213PS Z11, Z3, Z4; \
	VADDPS Z20, Z4, Z4; \
	VSUBPS Z20, Z10, Z10; \
	VSCALEFPS Z10, Z4, Z4; \
	VMULPS Z7, Z4, Z4; \
	VSUBPS Z4, Z20, Z5; \
	VCMPPS.BCST $13, expK<>+1760(SB), Z0, K1; \
	VBLENDMPS Z5, Z4, K1, Z4; \
	VMULPS Z4, Z0, Z0

#define GELU_CONSTS \
	VBROADCASTSS expK<>+448(SB), Z16; \
	VBROADCASTSS expK<>+480(SB), Z17; \
	VBROADCASTSS expK<>+1888(SB), Z18; \
	VBROADCASTSS expK<>+1280(SB), Z19; \
	VBROADCASTSS expK<>+0(SB), Z20; \
	VBROADCASTSS expK<>+1344(SB), Z21; \
	VBROADCASTSS expK<>+96(SB), Z23; \
	VBROADCASTSS expK<>+128(SB), Z24; \
	VBROADCASTSS expK<>+160(SB), Z25; \
	VBROADCASTSS expK<>+1792(SB), Z26; \
	VBROADCASTSS expK<>+1824(SB), Z27; \
	VBROADCASTSS expK<>+1856(SB), Z28; \
	VBROADCASTSS expK<>+1376(SB), Z29

// GELU_FAST_AVX512 is GELU_FAST_AVX2 on Z registers (in place on Z0,
// using Z1-Z12 and K1, K3, K4; GELU_CONSTS loaded), one VPERMPS over the
// 16 lanes of a geluTab row per coefficient, GELU_AVX512 for the lanes
// not above -5: the same operations, so the same bits.
#define GELU_FAST_AVX512(ldone) \
	VANDPS Z16, Z0, Z1; \
	VMINPS ·geluTab+512(SB), Z1, Z1; \
	VADDPS Z1, Z1, Z1; \
	VRNDSCALEPS $1, Z1, Z2; \
	VMINPS ·geluTab+576(SB), Z2, Z2; \
	VSUBPS Z2, Z1, Z1; \
	VSUBPS ·geluTab+640(SB), Z1, Z1; \
	VCVTTPS2DQ Z2, Z2; \
	VPERMPS ·geluTab+0(SB), Z2, Z3; \
	GELU_COEF_AVX512(·geluTab+64(SB)); \
	GELU_COEF_AVX512(·geluTab+128(SB)); \
	GELU_COEF_AVX512(·geluTab+192(SB)); \
	GELU_COEF_AVX512(·geluTab+256(SB)); \
	GELU_COEF_AVX512(·geluTab+320(SB)); \
	GELU_COEF_AVX512(·geluTab+384(SB)); \
	GELU_COEF_AVX512(·geluTab+448(SB)); \
	VSUBPS Z3, Z20, Z4; \
	VPTESTMD.BCST expK<>+480(SB), Z0, K4; \
	VBLENDMPS Z3, Z4, K4, Z4; \
	VMULPS Z4, Z0, Z12; \
	VCMPPS $10, ·geluTab+704(SB), Z0, K3; \
	KORTESTW K3, K3; \
	JZ ldone; \
	GELU_AVX512; \
	VBLENDMPS Z0, Z12, K3, Z12; \
ldone: \
	VMOVAPS Z12, Z0

// func geluTileAVX512(c *float32, rows, cols, ldc int)
// geluTileAVX2 on 16 lanes (TILE_LOOP_AVX512 written out): the same bits
// per element.
TEXT ·geluTileAVX512(SB), NOSPLIT, $0-32
	TILE_ARGS
	TILE_MASK_AVX512
	GELU_CONSTS
gelt5row:
	MOVQ DI, SI
	MOVQ R9, CX
	SHRQ $4, CX
	JZ   gelt5tail
gelt5vec:
	VMOVUPS (SI), Z0
	GELU_FAST_AVX512(gelt5vdone)
	VMOVUPS Z0, (SI)
	ADDQ $64, SI
	DECQ CX
	JNZ  gelt5vec
gelt5tail:
	KORTESTW K2, K2
	JZ   gelt5next
	VMOVUPS.Z (SI), K2, Z0
	GELU_FAST_AVX512(gelt5tdone)
	VMOVUPS Z0, K2, (SI)
gelt5next:
	ADDQ R10, DI
	DECQ R8
	JNZ  gelt5row
	VZEROUPPER
	RET

// HSWISH_AVX2: Y0 = x * min(max(x*(1/6) + 0.5, 0), 1), x = Y0, the
// scalar code's roundings (a product, then a sum: no FMA; Y10 = 1/6 as
// float32, ONNX's alpha, Y11 = 0.5, Y12 = 1, Y13 = 0); uses Y1. (x/6,
// PyTorch's form, differs by at most an ulp before the clamp; its
// division cost more than the rest together.)
#define HSWISH_AVX2 \
	VMULPS Y10, Y0, Y1; \
	VADDPS Y11, Y1, Y1; \
	VMAXPS Y1, Y13, Y1; \
	VMINPS Y1, Y12, Y1; \
	VMULPS Y1, Y0, Y0

// func hardSwishTileAVX2(c *float32, rows, cols, ldc int)
// c[i*ldc+j] = x * min(max(x*(1/6) + 0.5, 0), 1), x = c[i*ldc+j], for
// i < rows, j < cols (rows, cols > 0): exactly the scalar code's result.
TEXT ·hardSwishTileAVX2(SB), NOSPLIT, $0-32
	TILE_ARGS
	TILE_MASK_AVX2
	MOVL $0x3e2aaaab, AX
	MOVQ AX, X10
	VBROADCASTSS X10, Y10
	MOVL $0x3f000000, AX
	MOVQ AX, X11
	VBROADCASTSS X11, Y11
	MOVL $0x3f800000, AX
	MOVQ AX, X12
	VBROADCASTSS X12, Y12
	VXORPS Y13, Y13, Y13
	TILE_LOOP_AVX2(HSWISH_AVX2, hst2row, hst2vec, hst2tail, hst2next)

// HSWISH_AVX512 is HSWISH_AVX2 on Z registers.
#define HSWISH_AVX512 \
	VMULPS Z10, Z0, Z1; \
	VADDPS Z11, Z1, Z1; \
	VMAXPS Z1, Z13, Z1; \
	VMINPS Z1, Z12, Z1; \
	VMULPS Z1, Z0, Z0

// func hardSwishTileAVX512(c *float32, rows, cols, ldc int)
// hardSwishTileAVX2 on 16 lanes.
TEXT ·hardSwishTileAVX512(SB), NOSPLIT, $0-32
	TILE_ARGS
	TILE_MASK_AVX512
	MOVL $0x3e2aaaab, AX
	MOVQ AX, X10
	VBROADCASTSS X10, Z10
	MOVL $0x3f000000, AX
	MOVQ AX, X11
	VBROADCASTSS X11, Z11
	MOVL $0x3f800000, AX
	MOVQ AX, X12
	VBROADCASTSS X12, Z12
	VPXORD Z13, Z13, Z13
	TILE_LOOP_AVX512(HSWISH_AVX512, hst5row, hst5vec, hst5tail, hst5next)

// HSIGMOID_AVX2: Y0 = min(max(a*x + b, 0), 1), x = Y0 (multiply, then add:
// the scalar code's roundings; Y11 = a, Y12 = b, Y13 = 0, Y14 = 1); NaN
// stays NaN; uses Y1.
#define HSIGMOID_AVX2 \
	VMULPS Y0, Y11, Y1; \
	VADDPS Y12, Y1, Y1; \
	VMAXPS Y1, Y13, Y1; \
	VMINPS Y1, Y14, Y0

// func hardSigmoidTileAVX2(c *float32, rows, cols, ldc int, a, b float32)
// HSIGMOID_AVX2 on c[i*ldc+j] for i < rows, j < cols (rows, cols > 0).
TEXT ·hardSigmoidTileAVX2(SB), NOSPLIT, $0-40
	TILE_ARGS
	TILE_MASK_AVX2
	VBROADCASTSS a+32(FP), Y11
	VBROADCASTSS b+36(FP), Y12
	VXORPS Y13, Y13, Y13
	VMOVUPS expK<>+0(SB), Y14
	TILE_LOOP_AVX2(HSIGMOID_AVX2, hsgt2row, hsgt2vec, hsgt2tail, hsgt2next)

// HSIGMOID_AVX512 is HSIGMOID_AVX2 on Z registers.
#define HSIGMOID_AVX512 \
	VMULPS Z0, Z11, Z1; \
	VADDPS Z12, Z1, Z1; \
	VMAXPS Z1, Z13, Z1; \
	VMINPS Z1, Z14, Z0

// func hardSigmoidTileAVX512(c *float32, rows, cols, ldc int, a, b float32)
// hardSigmoidTileAVX2 on 16 lanes.
TEXT ·hardSigmoidTileAVX512(SB), NOSPLIT, $0-40
	TILE_ARGS
	TILE_MASK_AVX512
	VBROADCASTSS a+32(FP), Z11
	VBROADCASTSS b+36(FP), Z12
	VPXORD Z13, Z13, Z13
	VBROADCASTSS expK<>+0(SB), Z14
	TILE_LOOP_AVX512(HSIGMOID_AVX512, hsgt5row, hsgt5vec, hsgt5tail, hsgt5next)

// LRELU_AVX2: Y0 = x < 0 ? a*x : x, x = Y0 (Y11 = a, Y13 = 0); uses Y1,
// Y2.
#define LRELU_AVX2 \
	VMULPS Y11, Y0, Y1; \
	VCMPPS $1, Y13, Y0, Y2; \
	VBLENDVPS Y2, Y1, Y0, Y0

// func leakyReluTileAVX2(c *float32, rows, cols, ldc int, a float32)
// LRELU_AVX2 on c[i*ldc+j] for i < rows, j < cols (rows, cols > 0).
TEXT ·leakyReluTileAVX2(SB), NOSPLIT, $0-36
	TILE_ARGS
	TILE_MASK_AVX2
	VBROADCASTSS a+32(FP), Y11
	VXORPS Y13, Y13, Y13
	TILE_LOOP_AVX2(LRELU_AVX2, lrt2row, lrt2vec, lrt2tail, lrt2next)

// LRELU_AVX512 is LRELU_AVX2 on Z registers (the multiply under the mask
// of the negative lanes).
#define LRELU_AVX512 \
	VCMPPS $1, Z13, Z0, K1; \
	VMULPS Z11, Z0, K1, Z0

// func leakyReluTileAVX512(c *float32, rows, cols, ldc int, a float32)
// leakyReluTileAVX2 on 16 lanes.
TEXT ·leakyReluTileAVX512(SB), NOSPLIT, $0-36
	TILE_ARGS
	TILE_MASK_AVX512
	VBROADCASTSS a+32(FP), Z11
	VPXORD Z13, Z13, Z13
	TILE_LOOP_AVX512(LRELU_AVX512, lrt5row, lrt5vec, lrt5tail, lrt5next)

// func tanhTileAVX2(c *float32, rows, cols, ldc int)
// TANH_AVX2 on c[i*ldc+j] for i < rows, j < cols (rows, cols > 0): the
// bits tanhAVX2 gives.
TEXT ·tanhTileAVX2(SB), NOSPLIT, $0-32
	TILE_ARGS
	TILE_MASK_AVX2
	TILE_LOOP_AVX2(TANH_AVX2, tht2row, tht2vec, tht2tail, tht2next)

// func geluTanhTileAVX2(c *float32, rows, cols, ldc int)
// GELU_TANH_AVX2 on c[i*ldc+j] for i < rows, j < cols (rows, cols > 0):
// the bits geluTanhAVX2 gives.
TEXT ·geluTanhTileAVX2(SB), NOSPLIT, $0-32
	TILE_ARGS
	TILE_MASK_AVX2
	TILE_LOOP_AVX2(GELU_TANH_AVX2, gtt2row, gtt2vec, gtt2tail, gtt2next)

DATA softmaxNegInf<>+0(SB)/4, $0xff800000
GLOBL softmaxNegInf<>(SB), RODATA|NOPTR, $4

// EXPSUB8(x, r, n, p, s, c) is one vector of expSubSumAVX2's loop body:
// p = e^(x - m), m in Y15, zero below AMIN; r, n, s, c scratch, x
// overwritten. The caller stores and sums p.
#define EXPSUB8(x, r, n, p, s, c) \
	VSUBPS Y15, x, x; \
	EXP8_CORE(x, r, n, p, s); \
	VCMPPS $1, expK<>+32(SB), x, c; \
	VANDNPS p, c, p

// LANESUM8 combines the 8 lanes of acc into Xout as expSubSumAVX2 does:
// (l + l+4), then (0 + 2) + (1 + 3). Uses X1.
#define LANESUM8(acc, xacc, xout) \
	VEXTRACTF128 $1, acc, X1; \
	VADDPS X1, xacc, xout; \
	VMOVHLPS xout, xout, X1; \
	VADDPS X1, xout, xout; \
	VMOVSHDUP xout, X1; \
	VADDSS X1, xout, xout

// func softmaxRowAVX2(dst, src *float32, n int)
// SoftmaxF32 of one row of n > 0 floats in one call, by the same
// operations in the same order as maxRowVec, expSubSumVec and ScaleF32
// (the same bits): the maximum (8 lanes over the leading multiple of 8,
// reduced as maxAVX2 does, then the tail in order, skipping NaN as maxRef
// does), e^(x - m) with its 8 lane sums over the vectors plus the tail
// vector's (-Inf padded lanes, e^ = 0) added after, then x * (1/sum).
TEXT ·softmaxRowAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), DX
	MOVQ DX, CX
	SHRQ $3, CX                // whole vectors
	MOVQ DX, R8
	ANDQ $7, R8                // tail elements

	// The maximum, in X0.
	VBROADCASTSS softmaxNegInf<>(SB), X0
	TESTQ CX, CX
	JZ    smaxtail
	VMOVUPS (SI), Y0
	LEAQ  32(SI), R9
	MOVQ  CX, R10
	DECQ  R10
	JZ    smaxred

smaxloop:
	VMAXPS (R9), Y0, Y0
	ADDQ   $32, R9
	DECQ   R10
	JNZ    smaxloop

smaxred:
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VMOVHLPS X0, X0, X1
	VMAXPS X1, X0, X0
	VMOVSHDUP X0, X1
	VMAXSS X1, X0, X0

smaxtail:
	// m = x where x > m or m is NaN, over the tail in order.
	MOVQ CX, R9
	SHLQ $5, R9
	ADDQ SI, R9                // the tail
	MOVQ R8, R10
	TESTQ R10, R10
	JZ    smaxdone

smaxtl:
	MOVSS   (R9), X2
	UCOMISS X0, X0
	JPS     smaxtake           // m is NaN
	UCOMISS X0, X2
	JLS     smaxskip           // not x > m (or unordered)

smaxtake:
	MOVSS X2, X0

smaxskip:
	ADDQ $4, R9
	DECQ R10
	JNZ  smaxtl

smaxdone:
	VBROADCASTSS X0, Y15

	// e^(x - m) over the vectors, lane sums in Y14; their sum in X13.
	VXORPS Y14, Y14, Y14
	VXORPS X13, X13, X13
	MOVQ   SI, R9
	MOVQ   DI, R11
	MOVQ   CX, R10
	TESTQ  R10, R10
	JZ     sexptail

	// Two vectors a step (independent chains; the lane sums still add
	// them in order), then an odd one.
	SHRQ   $1, R10
	JZ     sexpodd

sexploop:
	VMOVUPS (R9), Y0
	VMOVUPS 32(R9), Y6
	EXPSUB8(Y0, Y1, Y2, Y3, Y4, Y5)
	EXPSUB8(Y6, Y7, Y8, Y9, Y10, Y11)
	VMOVUPS Y3, (R11)
	VMOVUPS Y9, 32(R11)
	VADDPS  Y3, Y14, Y14
	VADDPS  Y9, Y14, Y14
	ADDQ    $64, R9
	ADDQ    $64, R11
	DECQ    R10
	JNZ     sexploop

sexpodd:
	TESTQ $1, CX
	JZ    sexpsum
	VMOVUPS (R9), Y0
	EXPSUB8(Y0, Y1, Y2, Y3, Y4, Y5)
	VMOVUPS Y3, (R11)
	VADDPS  Y3, Y14, Y14
	ADDQ    $32, R9
	ADDQ    $32, R11

sexpsum:
	LANESUM8(Y14, X14, X13)

sexptail:
	// The tail as one vector, -Inf past it; its lane sum added after.
	TESTQ R8, R8
	JZ    sscale
	MOVQ  R8, AX
	SHLQ  $2, AX
	LEAQ  tileMask<>+32(SB), BX
	SUBQ  AX, BX
	VMOVUPS (BX), Y12          // the tail's lanes
	VMASKMOVPS (R9), Y12, Y0
	VBROADCASTSS softmaxNegInf<>(SB), Y6
	VBLENDVPS Y12, Y0, Y6, Y0
	EXPSUB8(Y0, Y1, Y2, Y3, Y4, Y5)
	VMASKMOVPS Y3, Y12, (R11)
	LANESUM8(Y3, X3, X2)
	VADDSS X2, X13, X13

sscale:
	// x * (1/sum).
	VMOVSS expK<>+0(SB), X2
	VDIVSS X13, X2, X2
	VBROADCASTSS X2, Y2
	MOVQ DI, R11
	MOVQ CX, R10
	TESTQ R10, R10
	JZ    sscaletail

sscaleloop:
	VMULPS (R11), Y2, Y0
	VMOVUPS Y0, (R11)
	ADDQ $32, R11
	DECQ R10
	JNZ  sscaleloop

sscaletail:
	TESTQ R8, R8
	JZ    sdone
	VMASKMOVPS (R11), Y12, Y0
	VMULPS Y0, Y2, Y0
	VMASKMOVPS Y0, Y12, (R11)

sdone:
	VZEROUPPER
	RET

#define CLAMP_BODY_AVX2 VMAXPS Y0, Y12, Y0; VMINPS Y0, Y13, Y0
#define CLAMP_BODY_AVX512 VMAXPS Z0, Z14, Z0; VMINPS Z0, Z15, Z0

// func clampTileAVX2(c *float32, rows, cols, ldc int, lo, hi float32)
// c[i*ldc+j] = min(max(c[i*ldc+j], lo), hi) over the block (Relu, Relu6,
// Clip), each row's tail through the mask: clampAVX2's operations (a NaN
// is kept), so the bits of ApplyAct's clamp.
TEXT ·clampTileAVX2(SB), NOSPLIT, $0-40
	TILE_ARGS
	TILE_MASK_AVX2
	VBROADCASTSS lo+32(FP), Y12
	VBROADCASTSS hi+36(FP), Y13
	TILE_LOOP_AVX2(CLAMP_BODY_AVX2, clt2row, clt2vec, clt2tail, clt2next)

// func clampTileAVX512(c *float32, rows, cols, ldc int, lo, hi float32)
// clampTileAVX2 on 16 lanes.
TEXT ·clampTileAVX512(SB), NOSPLIT, $0-40
	TILE_ARGS
	TILE_MASK_AVX512
	VBROADCASTSS lo+32(FP), Z14
	VBROADCASTSS hi+36(FP), Z15
	TILE_LOOP_AVX512(CLAMP_BODY_AVX512, clt5row, clt5vec, clt5tail, clt5next)
