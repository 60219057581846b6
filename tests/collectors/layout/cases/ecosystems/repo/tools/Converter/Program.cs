Console.WriteLine("converted");
