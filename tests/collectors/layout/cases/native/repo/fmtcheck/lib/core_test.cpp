#include <cassert>
#include <string>
std::string trim(const std::string &s);
int main() { assert(trim("a") == "a"); }
