#include <string>
std::string trim(const std::string &s) { return s; }
