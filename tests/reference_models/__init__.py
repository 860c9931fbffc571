"""Reference PyTorch models written from their public source (torchvision cannot be installed beside the CPU
torch used here): each module cites the file it follows."""
