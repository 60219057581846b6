package com.acme.legacy;

import junit.framework.TestCase;

public class ParserTest extends TestCase {
    public void testParsesHeader() {}
    public void testParsesBody() {}
    public void testRejectsGarbage() { fail("accepted garbage"); }
}
