#include "math.h"

#include <gtest/gtest.h>

TEST(MathTest, Adds) { EXPECT_EQ(Add(2, 2), 4); }

TEST(MathTest, Divides) {
  EXPECT_EQ(Div(4, 2), 2);
}

TEST(MathTest, DISABLED_Overflow) { EXPECT_EQ(Add(1, 1), 2); }

TEST(MathTest, NeedsGpu) { GTEST_SKIP() << "no GPU on this runner"; }

class ParseTest : public testing::TestWithParam<const char*> {};
TEST_P(ParseTest, Parses) { EXPECT_NE(GetParam(), nullptr); }
INSTANTIATE_TEST_SUITE_P(Words, ParseTest, testing::Values("a", "b"));
