#!/usr/bin/env python3
"""Read what C2 made of a method, without the hsdis plugin the JDK needs to print it as instructions.

A JVM run with -XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=print,CLASS::METHOD prints each compiled
method's machine code as hex when no hsdis library is found (Debian's libhsdis0-fcml does not load into
JDK 17 or 25). This takes that log, finds the last (or the N-th) C2 compile of METHOD, and disassembles its
code with binutils' objdump (Intel syntax), so that a kernel's inner loop can be read: the loads, the fused
multiply-adds, the bounds checks and the values reloaded from the stack.

    java --add-modules jdk.incubator.vector -jar charlm-bench/target/benchmarks.jar GemmBench -p kernels=vector \\
        -p shape=NNP_128x2048x1024 -f 1 -wi 2 -i 1 -jvmArgsAppend "--add-modules jdk.incubator.vector \\
        -XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=print,charlm.kernels.VectorKernels::rowMajorBlocks" > jit.log
    scripts/jit-asm.py jit.log rowMajorBlocks > rowMajorBlocks.s     # then: grep -n vfmadd rowMajorBlocks.s
"""
import re
import subprocess
import sys
import tempfile

if len(sys.argv) < 3:
    sys.exit("usage: jit-asm.py LOG METHOD [N]   (N: which C2 compile of METHOD, default -1, the last)")
log, method = sys.argv[1], sys.argv[2]
which = int(sys.argv[3]) if len(sys.argv) > 3 else -1
text = open(log, errors="replace").read()
starts = [m.start() for m in re.finditer(r"Compiled method \(c2\)[^\n]*::" + re.escape(method) + r"\b", text)]
if not starts:
    sys.exit(f"jit-asm.py: no C2 compile of {method} in {log}; was it run with -XX:CompileCommand=print,CLASS::{method}?")
start = starts[which]
end = text.find("Compiled method (", start + 1)
block = text[start:end if end > 0 else len(text)]
code, base = bytearray(), None
for line in block[block.find("[MachCode]"):block.find("[/MachCode]")].splitlines():
    m = re.match(r"\s*0x([0-9a-f]+): ([0-9a-f| ]+)$", line)
    if not m:
        continue  # a comment line (relocation, source position) between the hex rows
    address = int(m.group(1), 16)
    if base is None:
        base = address
    if address - base > len(code):
        code += b"\x90" * (address - base - len(code))  # a gap: fill with nops so the addresses stay true
    code[address - base:] = bytes.fromhex(m.group(2).replace("|", "").replace(" ", ""))
if base is None:
    sys.exit("jit-asm.py: the compile has no [MachCode] hex rows (was hsdis loaded after all?)")
with tempfile.NamedTemporaryFile(suffix=".bin") as f:
    f.write(code)
    f.flush()
    out = subprocess.run(["objdump", "-D", "-b", "binary", "-mi386:x86-64", "-Mintel", f"--adjust-vma={base:#x}", f.name],
                         capture_output=True, text=True, check=True).stdout
print(block.splitlines()[0])
print(out)
