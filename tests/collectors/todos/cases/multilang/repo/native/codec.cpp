#include <string>

// TODO: move the schema into a resource file
static const std::string kSchema = R"sql(
CREATE TABLE events (id INTEGER) -- TODO: inside a raw string
)sql";

std::string encode(const std::string& in) {
    return in + "\" // FIXME: still a string"; // XXX: escaped quote above
}
