# embed.cmake — turn a text file into a C array, so kernels written in their own
# .cl files travel inside the binary.  Usage:
#   cmake -DIN=file.cl -DOUT=file.c -DNAME=symbol -P embed.cmake
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUT}" "/* generated from ${IN} by scripts/embed.cmake: do not edit */\n"
                    "const char ${NAME}[] = {${bytes} 0x00};\n")
