this is not a dockerfile at all
just prose that happens to be named like one
