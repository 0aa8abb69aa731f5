#!/usr/bin/env python3
"""Crosscheck of onnx/onnx.proto (mconv's own description of the ONNX file
format) against the official one compiled into the pinned onnx package
(onnx.onnx_ml_pb2).

protoc compiles onnx/onnx.proto into a descriptor set; every message of it
must exist in the official descriptor under the same (nested) name, and
every field must have the official field's number, name, label (optional /
repeated) and wire type. Enum-typed official fields may be int32 in mconv's
(the package comment of onnx.proto says why: same wire format). Official
fields that mconv's file lacks are failures too: decoding would drop them
and the round trip would lose them.

Exits non-zero on any failure; prints 'N passed, N failed' at the end.
"""
import os
import shutil
import subprocess
import sys
import tempfile

from google.protobuf import descriptor_pb2
import onnx.onnx_ml_pb2 as official_pb2

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
F = descriptor_pb2.FieldDescriptorProto


def messages(prefix, msgs, out):
    for m in msgs:
        name = prefix + m.name
        out[name] = m
        messages(name + ".", m.nested_type, out)
    return out


def main():
    if shutil.which("protoc") is None:
        print("xcheck_proto: protoc not on PATH (apt-get install protobuf-compiler)")
        print("0 passed, 1 failed")
        return 1
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "mconv.pb")
        subprocess.run(["protoc", "--include_imports", "-o", out, "-I", os.path.join(ROOT, "onnx"), "onnx.proto"], check=True)
        fds = descriptor_pb2.FileDescriptorSet()
        with open(out, "rb") as f:
            fds.ParseFromString(f.read())
    ours = {}
    for fd in fds.file:
        messages("", fd.message_type, ours)
    off_fd = descriptor_pb2.FileDescriptorProto()
    official_pb2.DESCRIPTOR.CopyToProto(off_fd)
    theirs = messages("", off_fd.message_type, {})

    passed, failed = 0, []
    for name in sorted(ours):
        m = ours[name]
        o = theirs.get(name)
        if o is None:
            failed.append("message %s is not in the official onnx.proto" % name)
            continue
        ofields = {f.number: f for f in o.field}
        bad = False
        for f in m.field:
            of = ofields.get(f.number)
            if of is None:
                failed.append("%s.%s = %d: no such field number in the official message" % (name, f.name, f.number))
                bad = True
                continue
            problems = []
            if f.name != of.name:
                problems.append("name %s, official %s" % (f.name, of.name))
            if f.label != of.label:
                problems.append("label %s, official %s" % (F.Label.Name(f.label), F.Label.Name(of.label)))
            same_type = f.type == of.type or (of.type == F.TYPE_ENUM and f.type == F.TYPE_INT32)
            if not same_type:
                problems.append("type %s, official %s" % (F.Type.Name(f.type), F.Type.Name(of.type)))
            elif f.type == F.TYPE_MESSAGE and f.type_name.split(".")[-1] != of.type_name.split(".")[-1]:
                problems.append("message type %s, official %s" % (f.type_name, of.type_name))
            if problems:
                failed.append("%s.%s = %d: %s" % (name, f.name, f.number, "; ".join(problems)))
                bad = True
        mine = {f.number for f in m.field}
        for num, of in sorted(ofields.items()):
            if num not in mine:
                failed.append("%s: official field %s = %d is missing (its data would be dropped)" % (name, of.name, num))
                bad = True
        if not bad:
            passed += 1
    for name in sorted(set(theirs) - set(ours)):
        failed.append("official message %s is missing" % name)
    print("messages compared with onnx %s: %d" % (official_pb2.DESCRIPTOR.name, len(ours)))
    for f in failed:
        print("FAIL " + f)
    print("%d passed, %d failed" % (passed, len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
