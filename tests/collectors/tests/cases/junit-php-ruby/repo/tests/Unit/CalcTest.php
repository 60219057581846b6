<?php declare(strict_types=1);

namespace Tests\Unit;

use PHPUnit\Framework\Attributes\DataProvider;
use PHPUnit\Framework\TestCase;

final class CalcTest extends TestCase
{
    public function testAdd(): void
    {
        $this->assertSame(3, 1 + 2);
    }

    public function testSub(): void
    {
        $this->assertSame(2, 3 - 2);
    }

    #[DataProvider('divisions')]
    public function testDivide(int $a, int $b, int $expected): void
    {
        $this->assertSame($expected, intdiv($a, $b));
    }

    public static function divisions(): array
    {
        return [[4, 2, 2], [1, 0, 0]];
    }

    public function testPow(): void
    {
        $this->markTestSkipped('bcmath missing');
    }
}
