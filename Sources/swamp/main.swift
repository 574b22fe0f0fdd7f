print("swamp")
