# Writes OUTPUT, a C++ file defining `const char* const NAME` as the text of INPUT, so a file (the
# live view's page) is served from the binary and nothing is loaded from elsewhere. With
# INCLUDE=FILE, the text /*LIVE_LOGIC*/ in INPUT is replaced by FILE's text (the page's logic,
# kept in a file of its own so Node's test runner can load it).
file(READ "${INPUT}" content)
if(DEFINED INCLUDE)
  file(READ "${INCLUDE}" included)
  string(REPLACE "/*LIVE_LOGIC*/" "${included}" content "${content}")
endif()
string(FIND "${content}" ")herdtext\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} holds the raw string's delimiter")
endif()
file(WRITE "${OUTPUT}" "// Generated from ${INPUT} by tools/embed_text.cmake; do not edit.\n"
  "namespace herd {\nextern const char* const ${NAME};\nconst char* const ${NAME} = R\"herdtext(${content})herdtext\";\n}\n")
