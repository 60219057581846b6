print("no containers here")
